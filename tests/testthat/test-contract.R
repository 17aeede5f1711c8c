# The R/Python contract, read from R/api.R: every exported R wrapper has its Python
# function's arguments, in order, with equal defaults; every name Python exports is wrapped
# or declared Python-only; shared values are spelled once.
#
# Defaults are compared as values: R's NULL is Python's None, 16 equals 16L, a vector
# c(0.05, 0.95) equals the tuple (0.05, 0.95), strings and flags must be identical.

contract <- vaelab:::api_contract

# name -> list(has_default, default) for a Python callable; *args and **kwargs are left out
# and reported as `kwargs` (a class whose __init__ passes **kwargs on, e.g. a layer's name).
python_parameters <- local({
  describe <- NULL
  function(fun) {
    if (is.null(describe)) {
      code <- paste(
        "def describe(f):",
        "    import inspect",
        "    params = inspect.signature(f).parameters.values()",
        "    kinds = (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD)",
        "    named = [p for p in params if p.kind not in kinds]",
        "    return {'names': [p.name for p in named],",
        "            'defaults': {p.name: p.default for p in named if p.default is not p.empty},",
        "            'kwargs': any(p.kind == inspect.Parameter.VAR_KEYWORD for p in params)}",
        sep = "\n"
      )
      describe <<- reticulate::py_run_string(code, local = TRUE, convert = FALSE)$describe
    }
    describe(fun)
  }
})

same_default <- function(r, py) {
  if (is.null(py) || is.null(r)) {
    return(is.null(py) && is.null(r))
  }
  py <- unlist(py)
  if (is.character(py) || is.logical(py)) {
    return(identical(r, py))
  }
  is.numeric(r) && length(r) == length(py) && all(r == py)
}

r_wrappers <- function() {
  setdiff(sort(getNamespaceExports("vaelab")), contract$r_only)
}

test_that("every R wrapper has its Python function's arguments and defaults", {
  skip_if_no_vaelab()
  py <- py_vaelab(convert = FALSE)
  for (name in r_wrappers()) {
    r_formals <- formals(getExportedValue("vaelab", name))
    python <- reticulate::py_to_r(python_parameters(py[[vaelab:::python_name(name)]]))
    expected <- setdiff(unlist(python$names), contract$python_only_args[[name]])
    r_names <- as.character(setdiff(names(r_formals), contract$r_only_args[[name]]))
    if (python$kwargs) {
      # Extra R arguments (a layer's name) are passed on through **kwargs.
      r_names <- r_names[seq_along(expected)]
    }
    expect_identical(r_names, expected, label = sprintf("%s()'s arguments", name))
    for (arg in intersect(r_names, expected)) {
      if (arg %in% contract$r_defaults[[name]]) next
      # formals() gives an argument without a default the empty symbol.
      has_r_default <- !(is.symbol(r_formals[[arg]]) && !nzchar(as.character(r_formals[[arg]])))
      has_py_default <- arg %in% names(python$defaults)
      expect_identical(has_r_default, has_py_default,
                       label = sprintf("whether %s(%s) has a default", name, arg))
      if (has_r_default && has_py_default) {
        r_default <- r_formals[[arg]]
        expect_true(same_default(eval(r_default, baseenv()), python$defaults[[arg]]),
                    label = sprintf("%s(%s = %s) matches Python's default", name, arg,
                                    deparse(r_default)))
      }
    }
  }
})

test_that("every name vaelab exports in Python is wrapped in R or declared Python-only", {
  skip_if_no_vaelab()
  code <- paste(
    "def public_names():",
    "    import inspect, vaelab",
    "    names = getattr(vaelab, '__all__', None) or [n for n in vars(vaelab) if n[0] != '_']",
    "    return [n for n in names",
    "            if not inspect.ismodule(getattr(vaelab, n)) and callable(getattr(vaelab, n))]",
    sep = "\n"
  )
  public <- unlist(reticulate::py_run_string(code, local = TRUE)$public_names())
  wrapped <- vapply(r_wrappers(), vaelab:::python_name, character(1))
  expect_identical(setdiff(public, c(wrapped, contract$python_only)), character(),
                   label = "Python names neither wrapped nor declared Python-only")
  expect_identical(setdiff(c(wrapped, contract$python_only), public), character(),
                   label = "wrapped or Python-only names that Python does not export")
  expect_length(intersect(wrapped, contract$python_only), 0)
  # Each declared difference names a real function and argument.
  for (table in c("python_only_args", "r_only_args", "r_defaults")) {
    for (name in names(contract[[table]])) {
      expect_true(name %in% r_wrappers(), label = sprintf("%s in %s", name, table))
      args <- if (table == "python_only_args") {
        unlist(reticulate::py_to_r(python_parameters(
          py_vaelab(convert = FALSE)[[vaelab:::python_name(name)]]))$names)
      } else {
        names(formals(getExportedValue("vaelab", name)))
      }
      expect_true(all(contract[[table]][[name]] %in% args),
                  label = sprintf("%s's arguments in %s", name, table))
    }
  }
})

test_that("the t-test engines and result fields are spelled as in Python", {
  skip_if_no_vaelab()
  stats_py <- reticulate::import("vaelab.stats")
  engines <- unlist(stats_py$ENGINES)
  expect_true(formals(paired_ttest)$engine %in% engines)
  dataclasses <- reticulate::import("dataclasses")
  fields <- function(cls) vapply(dataclasses$fields(cls), function(f) f$name, character(1))
  a <- c(5.1, 4.8, 6.0, 5.5, 5.9)
  b <- c(4.9, 4.1, 5.2, 5.6, 5.0)
  for (engine in engines) {
    res <- paired_ttest(a, b, engine = engine)
    expect_identical(names(res), fields(stats_py$TTestResult))
    expect_identical(res$engine, engine)
    expect_equal(res$pvalue, paired_ttest(a, b)$pvalue, tolerance = 1e-10)
  }
  expect_identical(names(wilcoxon_test(a, b)), fields(stats_py$WilcoxonResult))
})
