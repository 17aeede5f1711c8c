# Finding Python, importing the core once, and installing it.

# Cached module handles, filled by vaelab_module().
.vaelab <- new.env(parent = emptyenv())

# Where the Python interpreter comes from, in the documented order. An explicit choice
# (a variable, or the virtualenv install_vaelab() made) wins over reticulate's own
# provisioning, which needs reticulate >= 1.41 for py_require().
python_choice <- function(reticulate_version = utils::packageVersion("reticulate")) {
  for (var in c("VAELAB_PYTHON", "RETICULATE_PYTHON")) {
    value <- Sys.getenv(var)
    if (nzchar(value)) {
      return(list(python = value, source = var))
    }
  }
  if (reticulate::virtualenv_exists("r-vaelab")) {
    return(list(python = reticulate::virtualenv_python("r-vaelab"),
                source = "virtualenv r-vaelab"))
  }
  if (reticulate_version >= "1.41" && nzchar(wheel_path())) {
    return(list(python = NA_character_, source = "py_require"))
  }
  list(python = NA_character_, source = "reticulate's default search")
}

# Point reticulate at the chosen interpreter, or declare the core to reticulate's
# py_require(); does nothing once Python runs.
choose_python <- function() {
  if (reticulate::py_available(initialize = FALSE)) {
    return(invisible(NULL))
  }
  choice <- python_choice()
  # RETICULATE_PYTHON overrides use_python(), so VAELAB_PYTHON has to go there to win.
  if (choice$source == "VAELAB_PYTHON") {
    Sys.setenv(RETICULATE_PYTHON = choice$python)
  } else if (choice$source == "virtualenv r-vaelab") {
    reticulate::use_virtualenv("r-vaelab", required = TRUE)
  } else if (choice$source == "py_require") {
    # An empty RETICULATE_PYTHON is no choice to vaelab, but reticulate >= 1.41 would look
    # for a Python named "".
    if (identical(Sys.getenv("RETICULATE_PYTHON", unset = NA), "")) {
      Sys.unsetenv("RETICULATE_PYTHON")
    }
    # Looked up by name: reticulate before 1.41 has no py_require() to import.
    py_require <- getExportedValue("reticulate", "py_require")
    py_require(core_requirement(vaelab_extras()))
  }
  invisible(choice)
}

# The vaelab Python module (converting results to R, or not), imported on first use.
vaelab_module <- function(convert = TRUE) {
  if (is.null(.vaelab$module)) {
    choose_python()
    # Start Python and import vaelab plainly first: the delayed import's own failure
    # message is vaguer and dumps the configuration to the console.
    tryCatch(reticulate::py_config(), error = function(e) abort_python(conditionMessage(e)))
    reticulate::py_last_error(NULL)
    tryCatch(reticulate::import("vaelab"), error = function(e) {
      err <- reticulate::py_last_error()
      abort_python(if (is.null(err)) conditionMessage(e) else paste0(err$type, ": ", err$value))
    })
    check_numpy()
    check_core_version(reticulate::import("vaelab")$`__version__`)
    .vaelab$module <- vaelab_py
    .vaelab$raw <- reticulate::import("vaelab", convert = FALSE)
  }
  if (convert) .vaelab$module else .vaelab$raw
}

check_numpy <- function() {
  numpy <- reticulate::import("numpy")$`__version__`
  if (numeric_version(numpy) >= "2" && utils::packageVersion("reticulate") < "1.36") {
    abort_python(sprintf(
      "NumPy %s is installed there, but reticulate %s converts only NumPy < 2 arrays",
      numpy, utils::packageVersion("reticulate")
    ))
  }
}

# An R package of one version driving a core of another fails in ways that name neither:
# say so once, when Python starts.
check_core_version <- function(core, package = as.character(utils::packageVersion("vaelab"))) {
  if (!identical(core, package)) {
    warning(structure(
      class = c("vaelab_version_warning", "warning", "condition"),
      list(call = NULL, message = sprintf(paste0(
        "the vaelab Python core is version %s but the R package is %s; run ",
        "vaelab::install_vaelab() to install the matching core, then restart R"
      ), core, package))
    ))
  }
  invisible(core)
}

abort_python <- function(problem) {
  choice <- python_choice()
  config <- if (reticulate::py_available()) reticulate::py_config()$python else choice$python
  msg <- paste0(
    "vaelab needs Python (>= 3.10) with the vaelab module, and that failed:\n  ",
    gsub("\n", "\n  ", trimws(problem)), "\n",
    "Python tried: ", config, " (found through ", choice$source, ").\n",
    "To fix it, either run vaelab::install_vaelab() once (it creates the virtualenv ",
    "'r-vaelab' with the core this package carries), or set VAELAB_PYTHON to a Python ",
    "where the core is installed (`pip install` the wheel in ",
    "system.file(\"python\", package = \"vaelab\")); then restart R."
  )
  abort_vaelab(msg, "vaelab_python_error")
}

#' Is the vaelab Python core available?
#'
#' Starts Python if needed and imports the `vaelab` module. Vignettes, examples
#' and tests use it to decide whether to run.
#'
#' @param strict When `TRUE`, a failure is an error (of class
#'   `vaelab_python_error`, saying how to fix it) instead of `FALSE`. By default
#'   it is strict when `VAELAB_PYTHON` is set: that Python was asked for, so it
#'   must work.
#' @return `TRUE` or `FALSE`.
#' @export
#' @examples
#' vaelab_available(strict = FALSE)
vaelab_available <- function(strict = nzchar(Sys.getenv("VAELAB_PYTHON"))) {
  ok <- tryCatch({
    vaelab_module()
    TRUE
  }, vaelab_python_error = function(e) if (isTRUE(strict)) stop(e) else FALSE)
  ok
}

#' Which Python, vaelab, NumPy and Keras this session uses, and on which devices
#'
#' For bug reports and the reproducibility section of an assignment.
#'
#' @return A named list: `python` (path), `source` (how it was found),
#'   `vaelab`, `numpy` and `keras` versions, `backend` (Keras's backend:
#'   `"tensorflow"`, or `"jax"` or `"torch"` when `KERAS_BACKEND` chose it),
#'   `devices` (a character vector such as `"cpu:0"` or `c("gpu:0", "gpu:1")`:
#'   the devices Keras computes on, as Python's `vaelab.runtime_info()` lists
#'   them), and the `tensorflow` and `reticulate` versions.
#' @export
#' @examplesIf vaelab_available()
#' str(vaelab_config())
vaelab_config <- function() {
  module <- vaelab_module()
  runtime <- module$runtime_info()
  version <- function(name) reticulate::import(name)$`__version__`
  list(
    python = reticulate::py_config()$python,
    source = python_choice()$source,
    vaelab = module$`__version__`,
    numpy = version("numpy"),
    keras = runtime$keras_version,
    backend = runtime$backend,
    devices = as.character(unlist(runtime$devices)),
    tensorflow = version("tensorflow"),
    reticulate = as.character(utils::packageVersion("reticulate"))
  )
}

#' Install the vaelab Python core into a virtualenv
#'
#' Creates the virtualenv `envname` (by default `r-vaelab`, where vaelab looks
#' for it) and installs the Python core there with `pip`, which also installs
#' its pinned dependencies from your package index (among them NumPy < 2,
#' because reticulate before 1.36 cannot convert NumPy 2 arrays). Restart R
#' afterwards.
#'
#' The R package carries its own Python core: a wheel of the same version, with
#' the pretrained weights, in `system.file("python", package = "vaelab")`. By
#' default that wheel is installed, so no checkout and no index entry for
#' vaelab is needed.
#'
#' With reticulate >= 1.41 you may not need this function at all: when no
#' Python is chosen (neither `VAELAB_PYTHON`, `RETICULATE_PYTHON` nor this
#' virtualenv), loading vaelab declares the same wheel to
#' `reticulate::py_require()`, which provisions an environment on first use.
#' The extras named in the environment variable `VAELAB_EXTRAS`
#' (comma-separated, e.g. `"gpu"`) are declared with it.
#'
#' @param source What `pip` installs: `NULL` (the default) for the wheel this
#'   R package carries, a path to a checkout of the vaelab repository (the
#'   folder holding `pyproject.toml`), a wheel file, or a requirement such as
#'   `"vaelab==0.1.0"` from a package index.
#' @param envname Name or path of the virtualenv.
#' @param python The Python (>= 3.10) that creates the virtualenv; `NULL` lets
#'   reticulate choose.
#' @param extras Optional extras of the Python package: `"r"` for rpy2, `"gpu"`
#'   for JAX with CUDA 12 (then set `KERAS_BACKEND=jax` before vaelab starts
#'   Python, e.g. in `~/.Renviron`).
#' @return The path of the virtualenv's Python, invisibly.
#' @export
#' @examples
#' \dontrun{
#' install_vaelab()                 # the core this package carries
#' install_vaelab("~/src/vaelab")   # a checkout of the repository
#' }
install_vaelab <- function(source = NULL, envname = "r-vaelab", python = NULL,
                           extras = character()) {
  spec <- pip_spec(source, extras)
  envname <- as_string(envname, "envname")
  if (!is.null(python)) python <- as_string(python, "python")
  reticulate::virtualenv_create(envname, python = python, packages = NULL)
  reticulate::virtualenv_install(envname, packages = spec, ignore_installed = FALSE)
  path <- reticulate::virtualenv_python(envname)
  message("vaelab installed in ", path, ". Restart R to use it",
          if (envname != "r-vaelab") paste0(" (set VAELAB_PYTHON=", path, ")"), ".")
  invisible(path)
}

# The pip requirement for `source` with `extras`, e.g. "/src/vaelab[r]".
pip_spec <- function(source, extras = character()) {
  if (is.null(source)) {
    source <- shipped_wheel()
  }
  source <- as_string(source, "source")
  check_extras(extras)
  if (dir.exists(source)) {
    source <- normalizePath(source)
    if (!file.exists(file.path(source, "pyproject.toml"))) {
      input_error(sprintf(
        "source: %s has no pyproject.toml; expected the root of a vaelab checkout", source
      ))
    }
  }
  if (length(extras) == 0) {
    return(source)
  }
  # Extras go before a version pin: "vaelab[r]==0.1.0".
  parts <- regmatches(source, regexec("^([^=<>!~ ]+)(.*)$", source))[[1]]
  paste0(parts[2], "[", paste(extras, collapse = ","), "]", parts[3])
}

check_extras <- function(extras) {
  if (!is.character(extras) || anyNA(extras) || !all(grepl("^[A-Za-z0-9_-]+$", extras))) {
    input_error("extras: expected names of the package's extras, such as \"r\"")
  }
}

# Where bootstrap.R put the wheel of the Python core in this package; "" when absent.
wheel_path <- function(version = utils::packageVersion("vaelab")) {
  system.file("python", wheel_name(version), package = "vaelab")
}

wheel_name <- function(version) sprintf("vaelab-%s-py3-none-any.whl", version)

# The wheel of the Python core that this R package carries, or an error saying how to get one.
shipped_wheel <- function(version = utils::packageVersion("vaelab")) {
  path <- wheel_path(version)
  if (!nzchar(path)) {
    name <- wheel_name(version)
    abort_vaelab(class = "vaelab_install_error", paste0(
      "This installation of the vaelab R package carries no Python core (", name, " in ",
      file.path(find.package("vaelab"), "python"), "): it was installed from a source ",
      "folder without running bootstrap.R. Install vaelab from its tarball (`make ",
      "r-package` in a checkout builds one) or with remotes or pak, or give install_vaelab() ",
      "a source: a checkout, a wheel, or \"vaelab==", version,
      "\" from a package index."
    ))
  }
  path
}

# What py_require() installs: the shipped wheel as a PEP 508 requirement, named so that
# reticulate can tell whether a chosen environment already satisfies it.
core_requirement <- function(extras = character()) {
  wheel <- shipped_wheel()
  check_extras(extras)
  name <- if (length(extras) == 0) {
    "vaelab"
  } else {
    sprintf("vaelab[%s]", paste(extras, collapse = ","))
  }
  sprintf("%s @ file://%s", name, wheel)
}

# Extras for py_require(), from VAELAB_EXTRAS ("gpu" or "r,gpu").
vaelab_extras <- function() {
  value <- Sys.getenv("VAELAB_EXTRAS")
  extras <- trimws(strsplit(value, ",", fixed = TRUE)[[1]])
  extras <- extras[nzchar(extras)]
  tryCatch(check_extras(extras), vaelab_input_error = function(e) {
    input_error(paste0(
      "VAELAB_EXTRAS: expected comma-separated names of the package's extras, ",
      "such as \"gpu\"; got ", deparse(value)
    ))
  })
  extras
}
