# One door to Python (vaelab_call) and every coercion of R arguments, in one place.

# Call vaelab.<fun>(...) with arguments already checked in R; a Python exception
# becomes an R error of class c("vaelab_error", "vaelab_<PythonType>").
vaelab_call <- function(fun, ..., .convert = TRUE, .call = sys.call(sys.parent())) {
  args <- list(...) # forces the R-side checks before Python starts
  module <- vaelab_module(convert = .convert)
  reticulate::py_last_error(NULL)
  tryCatch(
    do.call(module[[fun]], args),
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
    list(message = err$value, call = call, python_type = err$type,
         traceback = err$traceback)
  ))
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

# ---- coercions -------------------------------------------------------------------

# Images stay R doubles, always n x 28 x 28 x 1: reticulate hands them to NumPy
# without a copy, with the same indices (x[i, row, col, 1] in R is
# x[i-1, row-1, col-1, 0] in Python).
as_images <- function(x, name = "x", call = sys.call(sys.parent())) {
  if (!is.numeric(x) || is.data.frame(x)) {
    input_error(sprintf("%s: expected a numeric array of images, got %s",
                        name, describe(x)), call)
  }
  if (is.integer(x)) {
    input_error(sprintf("%s: expected pixel values in [0, 1] as doubles, got integers; %s",
                        name, if (length(x) && max(x, na.rm = TRUE) > 1)
                          "divide by 255 first (load_mnist() already does)"
                        else "store them as doubles: storage.mode(x) <- \"double\""), call)
  }
  d <- dim(x)
  ok <- identical(as.integer(d), c(28L, 28L)) || identical(as.integer(d), c(28L, 28L, 1L)) ||
    (length(d) == 3 && all(d[2:3] == 28)) || (length(d) == 4 && all(d[2:4] == c(28, 28, 1)))
  if (!ok) {
    input_error(sprintf(paste0(
      "%s: expected an array n x 28 x 28 x 1 (or n x 28 x 28, or one 28 x 28 image), ",
      "got %s"), name, describe(x)), call)
  }
  if (length(x) == 0) {
    input_error(sprintf("%s: expected at least one image, got none", name), call)
  }
  if (anyNA(x) || any(is.infinite(x))) {
    input_error(sprintf("%s: images contain NA or infinite pixels", name), call)
  }
  r <- range(x)
  if (r[1] < 0 || r[2] > 1) {
    input_error(sprintf("%s: expected pixel values in [0, 1], got range [%g, %g]%s",
                        name, r[1], r[2], range_hint(r)), call)
  }
  # R arrays are column-major, so adding leading or trailing extents of 1 keeps every
  # pixel at its index.
  if (length(d) < 4) {
    dim(x) <- if (length(d) == 3 && d[3] != 1) c(d, 1L) else c(1L, 28L, 28L, 1L)
  }
  x
}

# What probably went wrong with pixels in range r, outside [0, 1] (Python's checks.range_hint).
range_hint <- function(r) {
  if (r[1] >= 0 && r[2] >= 2 && r[2] <= 255) {
    "; they look like gray levels 0..255: divide by 255 first"
  } else if (r[1] >= -0.01 && r[2] <= 1.01) {
    "; they overshoot [0, 1] a little: clip them, e.g. pmin(pmax(x, 0), 1)"
  } else {
    ""
  }
}

# Latent vectors: a matrix n x latent_dim, or one vector (a batch of one).
as_latents <- function(z, name = "z", call = sys.call(sys.parent())) {
  if (!is.numeric(z) || is.data.frame(z)) {
    input_error(sprintf("%s: expected a numeric matrix of latent vectors, got %s",
                        name, describe(z)), call)
  }
  if (is.null(dim(z))) {
    z <- matrix(z, nrow = 1)
  }
  if (length(dim(z)) != 2) {
    input_error(sprintf("%s: expected a matrix n x latent_dim, got %s", name, describe(z)),
                call)
  }
  if (anyNA(z) || any(is.infinite(z))) {
    input_error(sprintf("%s: latent vectors contain NA or infinite values", name), call)
  }
  storage.mode(z) <- "double"
  z
}

# Digit labels 0..9 as an integer vector (factors of digits accepted).
as_labels <- function(y, n = NULL, name = "labels", call = sys.call(sys.parent())) {
  if (is.factor(y)) {
    y <- suppressWarnings(as.numeric(as.character(y)))
  }
  if (!is.numeric(y) || length(dim(y)) > 1 && !identical(dim(y)[2], 1L)) {
    input_error(sprintf("%s: expected a vector of digit labels 0..9, got %s",
                        name, describe(y)), call)
  }
  y <- as.vector(y)
  if (anyNA(y) || any(y != round(y)) || any(y < 0 | y > 9)) {
    input_error(sprintf("%s: expected whole-number digit labels 0..9", name), call)
  }
  if (!is.null(n) && length(y) != n) {
    input_error(sprintf("%s: expected %d labels (one per image), got %d",
                        name, n, length(y)), call)
  }
  as.integer(y)
}

# A finite numeric vector, e.g. Laplacian variances.
as_values <- function(v, name, n = NULL, call = sys.call(sys.parent())) {
  if (!is.numeric(v) || length(dim(v)) > 1) {
    input_error(sprintf("%s: expected a numeric vector, got %s", name, describe(v)), call)
  }
  if (anyNA(v) || any(is.infinite(v))) {
    input_error(sprintf("%s: contains NA or infinite values", name), call)
  }
  if (!is.null(n) && length(v) != n) {
    input_error(sprintf("%s: expected %d values, got %d", name, n, length(v)), call)
  }
  as.double(v)
}

# Keras wants Python ints: 1 and 1.0 from R both become 1L.
as_int <- function(x, name, minimum = 1L, call = sys.call(sys.parent())) {
  if (!is.numeric(x) || length(x) != 1 || is.na(x) || x != round(x) || x < minimum) {
    input_error(sprintf("%s: expected one whole number >= %d, got %s",
                        name, minimum, describe(x)), call)
  }
  as.integer(x)
}

as_seed <- function(seed, call = sys.call(sys.parent())) {
  if (is.null(seed)) NULL else as_int(seed, "seed", minimum = 0L, call = call)
}

as_flag <- function(x, name, call = sys.call(sys.parent())) {
  if (!is.logical(x) || length(x) != 1 || is.na(x)) {
    input_error(sprintf("%s: expected TRUE or FALSE, got %s", name, describe(x)), call)
  }
  x
}

# Keras's jit_compile: "auto", or a flag.
as_jit <- function(x, call = sys.call(sys.parent())) {
  if (identical(x, "auto")) {
    return(x)
  }
  if (!is.logical(x) || length(x) != 1 || is.na(x)) {
    input_error(sprintf("jit_compile: expected \"auto\", TRUE or FALSE, got %s", describe(x)),
                call)
  }
  x
}

as_string <- function(x, name, call = sys.call(sys.parent())) {
  if (!is.character(x) || length(x) != 1 || is.na(x) || !nzchar(x)) {
    input_error(sprintf("%s: expected one non-empty string, got %s", name, describe(x)), call)
  }
  x
}

as_path <- function(path, name = "path", call = sys.call(sys.parent())) {
  path.expand(as_string(path, name, call))
}

as_choice <- function(x, choices, name, call = sys.call(sys.parent())) {
  if (!is.character(x) || length(x) != 1 || !x %in% choices) {
    input_error(sprintf("%s: expected one of %s, got %s", name,
                        paste0("\"", choices, "\"", collapse = ", "), describe(x)), call)
  }
  x
}

# Two different 1-based latent dimensions.
as_dims <- function(dims, name = "dims", call = sys.call(sys.parent())) {
  if (!is.numeric(dims) || length(dims) != 2 || anyNA(dims) || any(dims != round(dims)) ||
      any(dims < 1) || dims[1] == dims[2]) {
    input_error(sprintf("%s: expected two different latent dimensions (1-based), got %s",
                        name, describe(dims)), call)
  }
  as.integer(dims)
}

# R counts from 1, Python from 0: the one place where positions are shifted.
py_index <- function(i) {
  as.list(as.integer(i) - 1L)
}

as_quantiles <- function(q, call = sys.call(sys.parent())) {
  if (!is.numeric(q) || length(q) != 2 || anyNA(q) || !(0 < q[1] && q[1] < q[2] && q[2] < 1)) {
    input_error(sprintf("quantiles: expected c(low, high) with 0 < low < high < 1, got %s",
                        describe(q)), call)
  }
  as.list(as.double(q))
}

# Keras verbosity: TRUE prints one line per epoch (progress bars garble knitr output).
as_verbose <- function(verbose, call = sys.call(sys.parent())) {
  if (identical(verbose, "auto")) {
    return(verbose)
  }
  if (is.logical(verbose) && length(verbose) == 1 && !is.na(verbose)) {
    return(if (verbose) 2L else 0L)
  }
  if (is.numeric(verbose) && length(verbose) == 1 && verbose %in% 0:2) {
    return(as.integer(verbose))
  }
  input_error(sprintf("verbose: expected TRUE, FALSE, 0, 1, 2 or \"auto\", got %s",
                      describe(verbose)), call)
}

# A Keras model living in this session's Python.
as_model <- function(model, name = "model", call = sys.call(sys.parent())) {
  if (!inherits(model, "python.builtin.object") ||
      !inherits(model, "keras.src.models.model.Model")) {
    input_error(sprintf(paste0(
      "%s: expected a Keras model from vaelab (build_vae(), build_dfc_vae(), ",
      "load_pretrained(), load_model()), got %s"), name, describe(model)), call)
  }
  if (reticulate::py_is_null_xptr(model)) {
    input_error(sprintf(paste0(
      "%s: this model belonged to an earlier R session and is gone; ",
      "save models with save_model() and read them with load_model()"), name), call)
  }
  model
}

# A named list of models, e.g. list("VAE-GAN" = gan), which reaches Python as a dict.
as_model_list <- function(models, call = sys.call(sys.parent())) {
  if (!is.list(models) || length(models) == 0 || is.null(names(models)) ||
      !all(nzchar(names(models)))) {
    input_error("models: expected a named list of models, e.g. list(\"VAE-GAN\" = gan)", call)
  }
  lapply(models, as_model, call = call)
}

as_recipe <- function(recipe, call = sys.call(sys.parent())) {
  as_choice(recipe, c("elbo", "book"), "recipe", call)
}

as_optimizer <- function(optimizer, call = sys.call(sys.parent())) {
  if (inherits(optimizer, "python.builtin.object")) {
    return(optimizer)
  }
  as_string(optimizer, "optimizer", call)
}

# Layer names stay names; 1-based positions become 0-based.
as_layers <- function(layers, call = sys.call(sys.parent())) {
  if (is.null(layers)) {
    return(NULL)
  }
  if (is.character(layers) && length(layers) > 0 && !anyNA(layers)) {
    return(as.list(layers))
  }
  if (is.numeric(layers) && length(layers) > 0 && !anyNA(layers) &&
      all(layers == round(layers)) && all(layers >= 1)) {
    return(py_index(layers))
  }
  input_error(sprintf(paste0(
    "layers: expected layer names such as c(\"conv1\", \"conv2\") or 1-based positions, ",
    "got %s"), describe(layers)), call)
}

as_layer_weights <- function(w, call = sys.call(sys.parent())) {
  if (is.null(w)) NULL else as.list(as_values(w, "layer_weights", call = call))
}

# validation_data = list(images, labels) for the classifier.
as_labelled <- function(data, call = sys.call(sys.parent())) {
  if (is.null(data)) {
    return(NULL)
  }
  if (!is.list(data) || length(data) != 2) {
    input_error("validation_data: expected list(images, labels)", call)
  }
  x <- as_images(data[[1]], "validation images", call)
  list(x, as_labels(data[[2]], n = dim(x)[1], name = "validation labels", call = call))
}

as_image <- function(x, name, call = sys.call(sys.parent())) {
  x <- as_images(x, name, call)
  if (dim(x)[1] != 1) {
    input_error(sprintf("%s: expected a single image, got %d; index with drop = FALSE",
                        name, dim(x)[1]), call)
  }
  x
}

as_grid <- function(grid, call = sys.call(sys.parent())) {
  d <- dim(grid)
  if (!is.numeric(grid) || !(length(d) == 4 || length(d) == 5 && d[5] == 1)) {
    input_error(sprintf("grid: expected an array rows x cols x h x w (x 1), got %s",
                        describe(grid)), call)
  }
  grid
}

as_pair <- function(a, b, call = sys.call(sys.parent())) {
  a <- as_values(a, "a", call = call)
  b <- as_values(b, "b", n = length(a), call = call)
  if (length(a) < 2) {
    input_error("a, b: expected at least 2 paired values", call)
  }
  list(a = a, b = b)
}

# The article's groups: digits other than 1, and 1 (naturally less sharp).
default_groups <- function(labels) {
  list("digits other than 1" = labels != 1, "digit 1" = labels == 1)
}

# Groups of images for paired tests, each selecting at least 2 (the defaults included).
as_groups <- function(groups, labels, call) {
  if (is.null(groups)) {
    groups <- default_groups(labels)
  }
  if (!is.list(groups) || is.null(names(groups)) || !all(nzchar(names(groups)))) {
    input_error(sprintf(
      "groups: expected a named list of logical vectors of length %d (one per image)",
      length(labels)), call)
  }
  for (name in names(groups)) {
    g <- groups[[name]]
    if (!is.logical(g) || length(g) != length(labels) || anyNA(g)) {
      input_error(sprintf(
        "groups[[\"%s\"]]: expected a logical vector of length %d without NA, got %s",
        name, length(labels), describe(g)), call)
    }
    if (sum(g) < 2) {
      input_error(sprintf(
        "groups[[\"%s\"]]: selects %d image(s); expected at least 2 for paired tests",
        name, sum(g)), call)
    }
  }
  groups
}

as_conf_level <- function(level, call = sys.call(sys.parent())) {
  if (!is.numeric(level) || length(level) != 1 || is.na(level) || level <= 0 || level >= 1) {
    input_error(sprintf("conf_level: expected a number strictly between 0 and 1, got %s",
                        describe(level)), call)
  }
  level
}

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
