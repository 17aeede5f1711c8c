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
load_mnist <- function(path = NULL, download = TRUE, verify = TRUE,
                       splits = c("train", "test")) {
  load_splits("load_mnist", path, download, splits, verify)
}

#' Load Fashion-MNIST or CIFAR-10
#'
#' Like [load_mnist()], from the official files. Fashion-MNIST's IDX files
#' have MNIST's names, so they are looked for in a folder of their own: `path`,
#' else the `fashion-mnist` folder inside `VAELAB_DATA`, else the Keras cache's
#' `fashion-mnist` folder, downloaded there when `download` is `TRUE`. CIFAR-10
#' is read from its Python batches (`data_batch_1` to `data_batch_5`,
#' `test_batch`, in the folder or in `cifar-10-batches-py/`) or straight from
#' the archive `cifar-10-python.tar.gz`, looked for in `path`, `VAELAB_DATA`
#' and the Keras cache. Every file read is checked against its official
#' checksum unless `verify = FALSE`.
#'
#' @inheritParams load_mnist
#' @param path A folder holding the files; `NULL` looks in the places above.
#' @return A list with elements `train` and/or `test`, each a list of `x`
#'   (double array `n x 28 x 28 x 1` for Fashion-MNIST, `n x 32 x 32 x 3` for
#'   CIFAR-10, pixels in `[0, 1]`) and `y` (integer class numbers 0 to 9).
#'   The 50,000 CIFAR-10 training images take 1.2 GB in R.
#' @export
#' @examplesIf vaelab_available()
#' # Offline here: read Fashion-MNIST only where it has been put beside MNIST.
#' if (dir.exists(file.path(Sys.getenv("VAELAB_DATA"), "fashion-mnist"))) {
#'   fashion <- load_fashion_mnist(splits = "test", download = FALSE)
#'   dim(fashion$test$x)
#' }
#' # CIFAR-10 in the same way: load_cifar10(splits = "test")
load_fashion_mnist <- function(path = NULL, download = TRUE, verify = TRUE,
                               splits = c("train", "test")) {
  load_splits("load_fashion_mnist", path, download, splits, verify)
}

#' @rdname load_fashion_mnist
#' @export
load_cifar10 <- function(path = NULL, download = TRUE, verify = TRUE,
                         splits = c("train", "test")) {
  load_splits("load_cifar10", path, download, splits, verify)
}

# The (x, y) pairs of `splits` from one of Python's loaders, which share a signature.
load_splits <- function(fun, path, download, splits, verify, call = sys.call(sys.parent())) {
  if (!is.null(path)) path <- as_path(path, call = call)
  data <- vaelab_call(fun, path = path, download = as_scalar(download, "download", call),
                      verify = as_scalar(verify, "verify", call), splits = as.list(splits),
                      .convert = FALSE, .call = call)
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
