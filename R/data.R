#' Load MNIST
#'
#' Reads MNIST with the Python loader: from `path`, else the folder named by
#' the environment variable `VAELAB_DATA` (read at each call, so
#' `Sys.setenv(VAELAB_DATA = ...)` takes effect at once), else the Keras
#' cache, downloading the official files once when `download` is `TRUE`.
#'
#' Every file read is checked against the sha256 of the known versions of it
#' (the official files, and the rebuilt training images that vaelab's own
#' models were trained on; Python's `vaelab.data.KNOWN_MNIST_FILES` lists them
#' with their provenance). An altered file is an error naming it, unless
#' `verify = FALSE`.
#'
#' @param path A folder holding the IDX files (gzipped or not) or
#'   `mnist.npz`; `NULL` looks in the places above.
#' @param download Download MNIST when it is found nowhere.
#' @param splits Which splits to return. Converting the 60,000 training images
#'   to R takes a few seconds, so ask only for `"test"` when that is all you
#'   need; then only the test files need to be there.
#' @param verify Check each file's sha256 (see above).
#' @return A list with elements `train` and/or `test`, each a list of `x`
#'   (double array `n x 28 x 28 x 1`, pixels in `[0, 1]`) and `y` (integer
#'   labels 0 to 9), like `keras::dataset_mnist()`.
#' @export
#' @examplesIf vaelab_available() && nzchar(Sys.getenv("VAELAB_DATA"))
#' mnist <- load_mnist(splits = "test")
#' dim(mnist$test$x)
#' table(mnist$test$y)
load_mnist <- function(path = NULL, download = TRUE, splits = c("train", "test"),
                       verify = TRUE) {
  if (!is.null(path)) path <- as_path(path)
  data <- vaelab_call("load_mnist", path = path, download = as_flag(download, "download"),
                      verify = as_flag(verify, "verify"), splits = as.list(splits),
                      .convert = FALSE)
  # Python has checked `splits` and returns one (x, y) pair per distinct split, in order.
  out <- list()
  for (i in seq_along(unique(splits))) {
    pair <- reticulate::py_get_item(data, i - 1L)
    out[[unique(splits)[i]]] <- list(
      x = reticulate::py_to_r(reticulate::py_get_item(pair, 0L)),
      y = as.integer(reticulate::py_to_r(reticulate::py_get_item(pair, 1L)))
    )
  }
  out
}
