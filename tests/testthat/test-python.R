# Finding Python, the error when it is missing or broken, installing the core.

with_env <- function(vars, code) {
  old <- Sys.getenv(names(vars), unset = NA, names = TRUE)
  on.exit({
    for (name in names(old)) {
      if (is.na(old[[name]])) Sys.unsetenv(name) else do.call(Sys.setenv, as.list(old[name]))
    }
  })
  for (name in names(vars)) {
    if (is.na(vars[[name]])) Sys.unsetenv(name) else do.call(Sys.setenv, as.list(vars[name]))
  }
  code
}

test_that("VAELAB_PYTHON wins over RETICULATE_PYTHON, which wins over the virtualenv", {
  choice <- with_env(c(VAELAB_PYTHON = "/a/python", RETICULATE_PYTHON = "/b/python"),
                     vaelab:::python_choice())
  expect_identical(choice, list(python = "/a/python", source = "VAELAB_PYTHON"))
  choice <- with_env(c(VAELAB_PYTHON = NA, RETICULATE_PYTHON = "/b/python"),
                     vaelab:::python_choice("1.41.0"))
  expect_identical(choice$source, "RETICULATE_PYTHON")
})

test_that("with no Python chosen, reticulate >= 1.41 provisions the core, older ones search", {
  workon <- tempfile("virtualenvs")
  dir.create(workon)
  unset <- c(VAELAB_PYTHON = NA, RETICULATE_PYTHON = NA, WORKON_HOME = workon)
  expect_identical(with_env(unset, vaelab:::python_choice("1.28"))$source,
                   "reticulate's default search")
  expect_identical(with_env(unset, vaelab:::python_choice("1.41.0"))$source, "py_require")
  # A virtualenv that install_vaelab() made is an explicit choice: it wins over py_require.
  dir.create(file.path(workon, "r-vaelab", "bin"), recursive = TRUE)
  file.create(file.path(workon, "r-vaelab", c("pyvenv.cfg", "bin/python")))
  choice <- with_env(unset, vaelab:::python_choice("1.41.0"))
  expect_identical(choice$source, "virtualenv r-vaelab")
})

test_that("the package carries the core of its own version, which pip and py_require get", {
  wheel <- vaelab:::shipped_wheel()
  expect_true(file.exists(wheel))
  expect_identical(basename(wheel),
                   sprintf("vaelab-%s-py3-none-any.whl", packageVersion("vaelab")))
  expect_identical(dirname(wheel), system.file("python", package = "vaelab"))
  expect_identical(vaelab:::pip_spec(NULL), wheel)
  expect_identical(vaelab:::pip_spec(NULL, "r"), paste0(wheel, "[r]"))
  expect_identical(vaelab:::core_requirement(), paste0("vaelab @ file://", wheel))
  expect_identical(vaelab:::core_requirement(c("r", "gpu")),
                   paste0("vaelab[r,gpu] @ file://", wheel))
  expect_identical(with_env(c(VAELAB_EXTRAS = " r, gpu,"), vaelab:::vaelab_extras()),
                   c("r", "gpu"))
  expect_identical(with_env(c(VAELAB_EXTRAS = NA), vaelab:::vaelab_extras()), character())
  expect_error(with_env(c(VAELAB_EXTRAS = "gpu; rm -rf"), vaelab:::vaelab_extras()),
               'VAELAB_EXTRAS: .* got "gpu; rm -rf"', class = "vaelab_input_error")
})

test_that("with reticulate >= 1.41 and no Python chosen, library(vaelab) is all it takes", {
  skip_if(packageVersion("reticulate") < "1.41", "reticulate < 1.41 has no py_require()")
  # uv then builds an environment from the package index: TensorFlow alone is 0.5 GB.
  skip_if_not(nzchar(Sys.getenv("VAELAB_TEST_PY_REQUIRE")),
              "set VAELAB_TEST_PY_REQUIRE=true to let py_require() provision the core")
  out <- run_r(c(
    # Debian's R puts its library folders in LD_LIBRARY_PATH, which breaks a pyenv Python's
    # ssl; a quirk of Debian's R beside pyenv, cleared for the Python that uv starts.
    "Sys.setenv(LD_LIBRARY_PATH = '')",
    "z <- encode(load_pretrained('vae'), array(stats::runif(10 * 784), c(10, 28, 28, 1)))",
    "cat('dim', dim(z), '\\n')",
    "cat('source', vaelab_config()$source, '\\n')"
  ), env = c("VAELAB_PYTHON=", "RETICULATE_PYTHON=", paste0("WORKON_HOME=", tempfile())))
  text <- paste(out, collapse = "\n")
  expect_match(text, "dim 10 5", fixed = TRUE)
  expect_match(text, "source py_require", fixed = TRUE)
})

test_that("a package without its core says how to get one", {
  expect_identical(vaelab:::wheel_path("9.9.9"), "")
  err <- expect_error(vaelab:::shipped_wheel("9.9.9"), class = "vaelab_install_error")
  expect_match(conditionMessage(err), "vaelab-9.9.9-py3-none-any.whl", fixed = TRUE)
  expect_match(conditionMessage(err), "without running bootstrap.R", fixed = TRUE)
  expect_match(conditionMessage(err), "\"vaelab==9.9.9\" from a package index", fixed = TRUE)
})

test_that("a core of another version than the R package gives a classed warning", {
  expect_silent(vaelab:::check_core_version("0.1.0", "0.1.0"))
  expect_warning(vaelab:::check_core_version("0.0.9", "0.1.0"),
                 "core is version 0.0.9 but the R package is 0.1.0",
                 class = "vaelab_version_warning")
})

test_that("pip_spec installs a checkout, a wheel or a pinned version, with extras", {
  expect_identical(vaelab:::pip_spec("vaelab==0.1.0", "r"), "vaelab[r]==0.1.0")
  checkout <- tempfile("vaelab-src")
  dir.create(checkout)
  expect_error(vaelab:::pip_spec(checkout), "has no pyproject.toml", class = "vaelab_input_error")
  writeLines("[project]", file.path(checkout, "pyproject.toml"))
  expect_identical(vaelab:::pip_spec(checkout, c("r", "dev")),
                   paste0(normalizePath(checkout), "[r,dev]"))
  expect_error(vaelab:::pip_spec("vaelab", "r; rm"), "extras: expected names")
  expect_error(vaelab:::core_requirement("r; rm"), "extras: expected names")
  expect_error(install_vaelab(source = 1), "source: expected one non-empty string")
})

# The error a fresh R session gives when the package is used with `python`.
run_without_vaelab <- function(python) {
  run_r(c("err <- tryCatch(build_vae(), error = identity)",
          "cat(class(err), sep = '\\n')",
          "cat(conditionMessage(err), '\\n')"),
        env = c(paste0("VAELAB_PYTHON=", python), "RETICULATE_PYTHON="))
}

test_that("a missing Python gives one classed error that says how to fix it", {
  out <- run_without_vaelab("/nonexistent/bin/python")
  expect_true("vaelab_python_error" %in% out)
  text <- paste(out, collapse = "\n")
  expect_match(text, "/nonexistent/bin/python (found through VAELAB_PYTHON)", fixed = TRUE)
  expect_match(text, "vaelab::install_vaelab()", fixed = TRUE)
  expect_match(text, "set VAELAB_PYTHON", fixed = TRUE)
})

test_that("a Python without the vaelab module gives the same error with Python's reason", {
  candidates <- unique(c(Sys.which("python3"), "/usr/bin/python3"))
  without <- Filter(function(python) {
    nzchar(python) && file.exists(python) &&
      system2(python, c("-c", shQuote("import vaelab")), stdout = FALSE, stderr = FALSE) != 0
  }, candidates)
  if (length(without) == 0) {
    skip("no Python without vaelab to try")
  }
  python <- without[[1]]
  out <- run_without_vaelab(python)
  expect_true("vaelab_python_error" %in% out)
  text <- paste(out, collapse = "\n")
  expect_match(text, "ModuleNotFoundError: No module named 'vaelab'", fixed = TRUE)
  expect_match(text, paste0(python, " (found through VAELAB_PYTHON)"), fixed = TRUE)
  expect_false(grepl("Detected Python configuration", text, fixed = TRUE))
})

test_that("vaelab_config() names the Python in use and its versions", {
  skip_if_no_vaelab()
  config <- vaelab_config()
  expect_named(config, c("python", "source", "vaelab", "numpy", "keras", "backend",
                         "devices", "tensorflow", "reticulate"))
  if (nzchar(Sys.getenv("KERAS_BACKEND"))) {
    expect_identical(config$backend, Sys.getenv("KERAS_BACKEND"))
  } else {
    expect_true(config$backend %in% c("tensorflow", "jax", "torch"))
  }
  expect_type(config$devices, "character")
  expect_true(length(config$devices) >= 1)
  expect_match(config$devices, "^[a-z]+:[0-9]+$")
  expect_identical(config$vaelab, as.character(packageVersion("vaelab")))
  if (packageVersion("reticulate") < "1.36") {
    expect_true(numeric_version(config$numpy) < "2")
  }
  if (nzchar(Sys.getenv("VAELAB_PYTHON"))) {
    expect_identical(normalizePath(config$python), normalizePath(Sys.getenv("VAELAB_PYTHON")))
  }
})

test_that("KERAS_BACKEND=jax (the GPU path) gives R the same reconstructions", {
  skip_if_no_pretrained("dfc_vae")
  if (!reticulate::py_module_available("jax")) {
    skip("JAX is not installed in vaelab's Python")
  }
  images <- tempfile(fileext = ".rds")
  on_jax <- tempfile(fileext = ".rds")
  on.exit(unlink(c(images, on_jax)))
  x <- random_images(8)
  saveRDS(x, images)
  # Two simulated CPU devices: vaelab_config() lists both; inference uses one all the same.
  out <- run_r(c(sprintf("x <- readRDS(%s)", deparse(images)),
                 "cat(vaelab_config()$backend, vaelab_config()$devices, '\\n')",
                 sprintf("saveRDS(reconstruct(load_pretrained('dfc_vae'), x), %s)",
                         deparse(on_jax))),
               env = c("KERAS_BACKEND=jax", "XLA_FLAGS=--xla_force_host_platform_device_count=2"))
  expect_true("jax cpu:0 cpu:1 " %in% out, info = paste(out, collapse = "\n"))
  expect_equal(readRDS(on_jax), reconstruct(load_pretrained("dfc_vae"), x), tolerance = 1e-5)
})
