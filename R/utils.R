# One door to Python (vaelab_call) and the conversions of R values into Python's.
#
# Python is the only validator: every rule about values (shapes, ranges, choices) lives in
# the Python core, whose ValueErrors reach R as classed conditions. R only converts types
# where the two languages differ: whole numbers to integers, 1-based positions to 0-based,
# factors to their values, vectors to tuples, and R's NA, which Python cannot represent, to
# an error.

# Call vaelab.<fun>(...) (or vaelab.<module>.<fun>) with converted arguments; a Python
# exception becomes an R error of class c("vaelab_error", "vaelab_<PythonType>").
vaelab_call <- function(fun, ..., .convert = TRUE, .module = NULL,
                        .call = sys.call(sys.parent())) {
  args <- list(...) # forces the R-side conversions before Python starts
  module <- vaelab_module(convert = .convert)
  if (!is.null(.module)) {
    module <- reticulate::import(paste0("vaelab.", .module), convert = .convert)
  }
  reticulate::py_last_error(NULL)
  tryCatch(
    do.call(module[[python_name(fun)]], args),
    error = function(e) rethrow_python(e, .call)
  )
}

# Call a method of a Python object with the same error handling.
vaelab_method <- function(object, method, ..., .call = sys.call(sys.parent())) {
  args <- list(...)
  reticulate::py_last_error(NULL)
  tryCatch(
    do.call(object[[method]], args),
    error = function(e) rethrow_python(e, .call)
  )
}

rethrow_python <- function(e, call) {
  err <- reticulate::py_last_error()
  if (is.null(err)) {
    stop(e) # an R error, not a Python one: leave it as it is
  }
  stop(structure(
    class = c("vaelab_error", paste0("vaelab_", err$type), "error", "condition"),
    list(message = r_words(err$value), call = call, python_type = err$type,
         python_message = err$value, traceback = err$traceback)
  ))
}

# Python's message in R's words: shapes as R prints dim() ("n x 28 x 28"), R's spelling of
# True, False and None, list elements as R indexes them (groups[["a"]]) and R code in the
# hints. Only the wording changes, never the rule.
r_words <- function(message) {
  fixed <- c("x.astype('float32')" = "storage.mode(x) <- \"double\"",
             "np.clip(x, 0, 1)" = "pmin(pmax(x, 0), 1)",
             "True or False" = "TRUE or FALSE", "True/False" = "TRUE/FALSE")
  for (python in names(fixed)) {
    message <- gsub(python, fixed[[python]], message, fixed = TRUE)
  }
  message <- gsub("\\bNone\\b", "NULL", message, perl = TRUE)
  message <- gsub("\\['([^']*)'\\]", "[[\"\\1\"]]", message, perl = TRUE)
  # Python's keyword arguments in a hint, e.g. size=(64, 64), as R code: size = c(64, 64).
  message <- gsub("\\b([a-z_]+)=\\(([^()]*)\\)", "\\1 = c(\\2)", message, perl = TRUE)
  message <- gsub("\\b([a-z_]+)=(\\d)", "\\1 = \\2", message, perl = TRUE)
  # A tuple of extents, e.g. (n, 28, 28, 1), (784,), (n, m, 28, 28[, 1]) or
  # (n, height, width, channels), is a shape.
  extent <- "(?:n|m|h|w|rows|cols|height|width|channels|\\d+)"
  shape <- sprintf("(?<!\\w)\\((%s(?:, %s)+(?:\\[, (?:1|channels)\\])?|%s,)\\)", extent,
                   extent, extent)
  tuples <- gregexpr(shape, message, perl = TRUE)
  regmatches(message, tuples) <- lapply(regmatches(message, tuples), function(found) {
    gsub(", ", " x ", gsub("^\\(|,?\\)$", "", found))
  })
  message
}

# An error found in R before anything reaches Python.
input_error <- function(message, call = NULL) {
  abort_vaelab(message, "vaelab_input_error", call)
}

# Signal an error of class c(`class`, "vaelab_error", "error", "condition").
abort_vaelab <- function(message, class, call = NULL) {
  stop(structure(
    class = c(class, "vaelab_error", "error", "condition"),
    list(message = message, call = call)
  ))
}

# ---- conversions ------------------------------------------------------------------

# R's NA becomes NaN (doubles), a huge negative number (integers) or TRUE (logicals) in
# Python, so it cannot be left for Python to judge.
no_na <- function(x, name, call = sys.call(sys.parent())) {
  if (is.atomic(x) && anyNA(x)) {
    input_error(sprintf(paste0(
      "%s: contains NA; Python has no missing values (it would see NaN or a number), so ",
      "remove or replace them first"), name), call)
  }
  x
}

# An array (images, latent vectors, values), kept in index order: reticulate hands R arrays
# to NumPy with the same indices, x[i, row, col, 1] in R being x[i-1, row-1, col-1, 0] in
# Python. A vector stays 1-d even of length 1, which reticulate would make a scalar.
as_array <- function(x, name, call = sys.call(sys.parent())) {
  no_na(x, name, call)
  if (is.atomic(x) && !is.null(x) && is.null(dim(x)) && !is.character(x)) array(x) else x
}

# Images: an array, or what load_celeba(), load_image_folder() and synthetic_faces() return
# (a list whose `images` are the array). Python objects such as an ImageFiles pass unchanged.
as_images <- function(images, name = "images", call = sys.call(sys.parent())) {
  if (is.list(images) && !is.data.frame(images) && "images" %in% names(images)) {
    images <- images$images
  }
  as_array(images, name, call)
}

# Factors of digits become their digits, not their level codes; whole doubles stay doubles
# (Python accepts whole floats as labels).
as_labels <- function(labels, name = "labels", call = sys.call(sys.parent())) {
  if (is.factor(labels)) {
    labels <- suppressWarnings(as.numeric(as.character(labels)))
    if (anyNA(labels)) {
      input_error(sprintf("%s: expected a factor of digits, got other levels", name), call)
    }
  }
  as_array(labels, name, call)
}

as_optional_labels <- function(labels, name = "labels", call = sys.call(sys.parent())) {
  if (is.null(labels)) NULL else as_labels(labels, name, call)
}

# Validation data: images (as as_images() takes them), or list(images, labels) (labels NULL
# for a VAE), as a Python pair.
as_validation_data <- function(data, call = sys.call(sys.parent())) {
  if (is.null(data) || !is.list(data) || "images" %in% names(data)) {
    return(if (is.null(data)) NULL else as_images(data, "validation_data", call))
  }
  if (length(data) == 2) {
    data <- list(as_images(data[[1]], "validation_data images", call),
                 as_optional_labels(data[[2]], "validation_data labels", call))
  }
  do.call(reticulate::tuple, data)
}

# Keras wants Python ints: 1 and 1.0 from R both become 1L. Anything else reaches Python
# unchanged, which says what it expected.
as_int <- function(x, name, call = sys.call(sys.parent())) {
  no_na(x, name, call)
  if (is_whole_number(x)) as.integer(x) else x
}

is_whole_number <- function(x) {
  is.numeric(x) && length(x) == 1 && is.null(dim(x)) && is.finite(x) && x == round(x) &&
    abs(x) <= .Machine$integer.max
}

# Whole numbers as Python ints: one becomes an int, several a tuple of ints (sizes, crops,
# image shapes such as c(64, 64, 3)); NULL stays None.
as_ints <- function(x, name, call = sys.call(sys.parent())) {
  no_na(x, name, call)
  if (!is.numeric(x) || !all(is.finite(x)) || any(x != round(x))) {
    return(x)
  }
  if (length(x) == 1) as.integer(x) else as_tuple(as.integer(x), name, call)
}

as_optional_int <- function(x, name, call = sys.call(sys.parent())) {
  if (is.null(x)) NULL else as_int(x, name, call)
}

# One number or flag, NA refused.
as_scalar <- function(x, name, call = sys.call(sys.parent())) {
  no_na(x, name, call)
}

# A vector that Python reads as a tuple, e.g. quantiles or learning rates.
as_tuple <- function(x, name, call = sys.call(sys.parent())) {
  no_na(x, name, call)
  if (!is.atomic(x) || is.null(x)) {
    return(x)
  }
  # reticulate::tuple() starts Python: vaelab chooses which one first, and explains a
  # missing one in its own error.
  vaelab_module()
  do.call(reticulate::tuple, as.list(x))
}

# R counts from 1, Python from 0: the one place where positions are shifted. Positions that
# are not whole numbers pass unchanged, for Python to refuse; a position below 1 has no
# Python twin (0 would become -1, which Python reads as the last).
py_index <- function(i, name, call = sys.call(sys.parent())) {
  no_na(i, name, call)
  if (!is.numeric(i) || !all(is.finite(i)) || any(i != round(i))) {
    return(i)
  }
  if (any(i < 1)) {
    input_error(sprintf("%s: positions count from 1 in R, got %s", name,
                        paste(i, collapse = ", ")), call)
  }
  as.integer(i) - 1L
}

# Layer names stay names; 1-based positions become 0-based.
as_layers <- function(layers, call = sys.call(sys.parent())) {
  if (is.numeric(layers)) {
    return(as.list(py_index(layers, "layers", call)))
  }
  if (is.character(layers)) as.list(no_na(layers, "layers", call)) else layers
}

# One layer: a name, or a 1-based position.
as_layer <- function(layer, call = sys.call(sys.parent())) {
  if (is.numeric(layer) && length(layer) == 1) py_index(layer, "layer", call) else layer
}

# Keras verbosity in R's terms: TRUE prints one line per epoch (progress bars garble knitr
# output), FALSE nothing.
as_verbose <- function(verbose, call = sys.call(sys.parent())) {
  no_na(verbose, "verbose", call)
  if (is.logical(verbose) && length(verbose) == 1) {
    return(if (verbose) 2L else 0L)
  }
  as_int(verbose, "verbose", call)
}

as_path <- function(path, name = "path", call = sys.call(sys.parent())) {
  no_na(path, name, call)
  if (is.character(path) && length(path) == 1) path.expand(path) else path
}

# A Keras model living in this session's Python: one from an earlier R session is a null
# pointer, which only R can notice.
as_model <- function(model, name = "model", call = sys.call(sys.parent())) {
  if (inherits(model, "python.builtin.object") && reticulate::py_is_null_xptr(model)) {
    input_error(sprintf(paste0(
      "%s: this model belonged to an earlier R session and is gone; ",
      "save models with save_model() and read them with load_model()"), name), call)
  }
  model
}

as_optional_model <- function(model, name, call = sys.call(sys.parent())) {
  if (is.null(model)) NULL else as_model(model, name, call)
}

# A named list (of models, images or masks) reaches Python as a dict.
as_named_list <- function(x, convert = identity) {
  if (is.list(x) && !is.null(names(x))) lapply(x, convert) else x
}

# ---- R-only arguments -------------------------------------------------------------
# Arguments with no Python twin (install_vaelab()'s, the tensors given to layer_*()) are
# checked in R, the only place that sees them.

# A short description of an R value for error messages.
describe <- function(x) {
  if (is.null(x)) {
    return("NULL")
  }
  if (inherits(x, "python.builtin.object")) {
    return(paste("a Python", class(x)[1]))
  }
  d <- dim(x)
  shape <- if (is.null(d)) sprintf("length %d", length(x)) else paste(d, collapse = " x ")
  if (is.character(x) && length(x) == 1) {
    return(sprintf("\"%s\"", x))
  }
  if (is.atomic(x) && length(x) == 1) {
    return(sprintf("%s %s", class(x)[1], format(x)))
  }
  sprintf("%s (%s)", class(x)[1], shape)
}

as_string <- function(x, name, call = sys.call(sys.parent())) {
  if (!is.character(x) || length(x) != 1 || is.na(x) || !nzchar(x)) {
    input_error(sprintf("%s: expected one non-empty string, got %s", name, describe(x)), call)
  }
  x
}
