# Puts the Python core into the R package before it is built: a wheel of python/ (with the
# shipped weights) in inst/python/, where install_vaelab() and py_require() find it.
#
# pkgbuild runs this file before building (DESCRIPTION: Config/build/bootstrap), so
# devtools, remotes and pak installs from the repository carry the core; `make` runs it
# before `R CMD build`. The Python that builds the wheel is VAELAB_BUILD_PYTHON, else
# python3 on the PATH; pip fetches the build backend (setuptools) from its index.

wheel_dir <- file.path("inst", "python")
version <- read.dcf("DESCRIPTION", fields = "Version")[[1]]
python <- Sys.getenv("VAELAB_BUILD_PYTHON", unset = Sys.which("python3"))
if (!nzchar(python)) {
  stop("bootstrap.R: no Python to build the vaelab wheel; set VAELAB_BUILD_PYTHON", call. = FALSE)
}

unlink(wheel_dir, recursive = TRUE)
dir.create(wheel_dir, recursive = TRUE)
# R puts its own library folders first in LD_LIBRARY_PATH; a Python linked to its own
# libpython can then load the system's copy instead and lose ssl, which pip needs to reach
# its index. pip needs none of R's folders.
status <- system2(python, c("-m", "pip", "wheel", "--quiet", "--no-deps",
                            "--wheel-dir", shQuote(wheel_dir), "."),
                  env = "LD_LIBRARY_PATH=")
if (status != 0) {
  stop("bootstrap.R: `", python, " -m pip wheel` failed (exit ", status, ")", call. = FALSE)
}

built <- list.files(wheel_dir, pattern = "\\.whl$")
expected <- sprintf("vaelab-%s-py3-none-any.whl", version)
if (!identical(built, expected)) {
  stop(sprintf(paste0("bootstrap.R: built %s, expected %s: the Python core's version ",
                      "(python/vaelab/__init__.py) must equal DESCRIPTION's Version"),
               paste(built, collapse = ", "), expected), call. = FALSE)
}
message("bootstrap.R: ", file.path(wheel_dir, expected))
