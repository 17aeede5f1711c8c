# Tests that need Python skip when it is missing; with VAELAB_PYTHON set (as in
# `make test` and CI) a broken Python fails them instead (vaelab_available() is strict).
skip_if_no_vaelab <- function() {
  if (!vaelab_available()) {
    skip("Python with the vaelab module is not available (set VAELAB_PYTHON)")
  }
}

skip_if_no_mnist <- function() {
  skip_if_no_vaelab()
  if (!nzchar(Sys.getenv("VAELAB_DATA"))) {
    skip("MNIST is not available offline (set VAELAB_DATA)")
  }
}

skip_if_no_pretrained <- function(name) {
  skip_if_no_vaelab()
  if (!name %in% available_pretrained()) {
    skip(paste0("the pretrained model '", name, "' is not shipped in this installation"))
  }
}

# The Python module itself, to compare R results with Python's on the same objects.
py_vaelab <- function(convert = TRUE) {
  reticulate::import("vaelab", convert = convert)
}

# MNIST's test split, read once per test run.
mnist_test <- local({
  cache <- NULL
  function() {
    if (is.null(cache)) cache <<- load_mnist(splits = "test")$test
    cache
  }
})

# Random images with pixels in [0, 1], reproducible.
random_images <- function(n, seed = 1) {
  set.seed(seed)
  array(stats::runif(n * 28 * 28), c(n, 28, 28, 1))
}

# Run R code in a fresh session with the installed vaelab attached (a session can
# start Python only once); returns its output lines.
run_r <- function(lines, env = character()) {
  lib <- dirname(find.package("vaelab"))
  if (!file.exists(file.path(lib, "vaelab", "Meta", "package.rds"))) {
    skip("vaelab is not installed (run the tests from R CMD check)")
  }
  script <- tempfile(fileext = ".R")
  on.exit(unlink(script))
  writeLines(c(sprintf("library(vaelab, lib.loc = %s)", deparse(lib)), lines), script)
  system2(file.path(R.home("bin"), "Rscript"), script, stdout = TRUE, stderr = TRUE, env = env)
}
