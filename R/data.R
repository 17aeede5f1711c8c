#' Load MNIST
#'
#' Reads MNIST with the Python loader: from `path`, else the folder named by
#' the environment variable `VAELAB_DATA`, else the Keras cache, downloading
#' the official files once (checking their sha256) when `download` is `TRUE`.
#'
#' @param path A folder holding the four IDX files (gzipped or not) or
#'   `mnist.npz`; `NULL` looks in the places above.
#' @param download Download MNIST when it is found nowhere.
#' @param splits Which splits to return. Converting the 60,000 training images
#'   to R takes a few seconds, so ask only for `"test"` when that is all you
#'   need.
#' @return A list with elements `train` and/or `test`, each a list of `x`
#'   (double array `n x 28 x 28 x 1`, pixels in `[0, 1]`) and `y` (integer
#'   labels 0 to 9), like `keras::dataset_mnist()`.
#' @export
#' @examplesIf vaelab_available() && nzchar(Sys.getenv("VAELAB_DATA"))
#' mnist <- load_mnist(splits = "test")
#' dim(mnist$test$x)
#' table(mnist$test$y)
load_mnist <- function(path = NULL, download = TRUE, splits = c("train", "test")) {
  if (!is.null(path)) path <- as_path(path)
  download <- as_flag(download, "download")
  if (!is.character(splits) || length(splits) == 0 || !all(splits %in% c("train", "test"))) {
    input_error("splits: expected \"train\", \"test\" or both", sys.call())
  }
  data <- vaelab_call("load_mnist", path = path, download = download, .convert = FALSE)
  out <- list()
  for (split in unique(splits)) {
    pair <- reticulate::py_get_item(data, if (split == "train") 0L else 1L)
    out[[split]] <- list(
      x = reticulate::py_to_r(reticulate::py_get_item(pair, 0L)),
      y = as.integer(reticulate::py_to_r(reticulate::py_get_item(pair, 1L)))
    )
  }
  out
}
