# Finding Python, importing the core once, and installing it.

# Cached module handles, filled by vaelab_module().
.vaelab <- new.env(parent = emptyenv())

# Where the Python interpreter comes from, in the documented order.
python_choice <- function() {
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
  list(python = NA_character_, source = "reticulate's default search")
}

# Point reticulate at the chosen interpreter; does nothing once Python runs.
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

abort_python <- function(problem) {
  choice <- python_choice()
  config <- if (reticulate::py_available()) reticulate::py_config()$python else choice$python
  msg <- paste0(
    "vaelab needs Python (>= 3.10) with the vaelab module, and that failed:\n  ",
    gsub("\n", "\n  ", trimws(problem)), "\n",
    "Python tried: ", config, " (found through ", choice$source, ").\n",
    "To fix it, either run vaelab::install_vaelab() once (it creates the virtualenv ",
    "'r-vaelab'), or set VAELAB_PYTHON to a Python where `pip install <vaelab checkout>` ",
    "has been run; then restart R."
  )
  stop(structure(
    class = c("vaelab_python_error", "vaelab_error", "error", "condition"),
    list(message = msg, call = NULL)
  ))
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

#' Which Python, vaelab, NumPy and Keras this session uses
#'
#' For bug reports and the reproducibility section of an assignment.
#'
#' @return A named list: `python` (path), `source` (how it was found),
#'   `vaelab`, `numpy` and `keras` versions, `backend` (Keras's backend:
#'   `"tensorflow"`, or `"jax"` when `KERAS_BACKEND` chose it), and the
#'   `tensorflow` and `reticulate` versions.
#' @export
#' @examplesIf vaelab_available()
#' str(vaelab_config())
vaelab_config <- function() {
  module <- vaelab_module()
  version <- function(name) reticulate::import(name)$`__version__`
  list(
    python = reticulate::py_config()$python,
    source = python_choice()$source,
    vaelab = module$`__version__`,
    numpy = version("numpy"),
    keras = version("keras"),
    backend = reticulate::import("keras")$backend$backend(),
    tensorflow = version("tensorflow"),
    reticulate = as.character(utils::packageVersion("reticulate"))
  )
}

#' Install the vaelab Python core into a virtualenv
#'
#' Creates the virtualenv `envname` (by default `r-vaelab`, where vaelab looks
#' for it) and installs the Python core there with `pip`, which also installs
#' its pinned dependencies (among them NumPy < 2, because reticulate before
#' 1.36 cannot convert NumPy 2 arrays). Restart R afterwards.
#'
#' @param source What `pip` installs: a path to a checkout of the vaelab
#'   repository (the folder holding `pyproject.toml`), a wheel file, or a
#'   requirement such as `"vaelab==0.1.0"` (the default, this package's
#'   version).
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
#' install_vaelab("~/src/vaelab")  # a checkout of the repository
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
    source <- paste0("vaelab==", utils::packageVersion("vaelab"))
  }
  source <- as_string(source, "source")
  if (!is.character(extras) || anyNA(extras) || !all(grepl("^[A-Za-z0-9_-]+$", extras))) {
    input_error("extras: expected names of the package's extras, such as \"r\"")
  }
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
