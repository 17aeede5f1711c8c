#' vaelab: variational autoencoders for teaching, from R and Python
#'
#' The R functions wrap the `vaelab` Python core (Keras 3) through reticulate,
#' with the same names as the Python API, so that a lesson reads the same in
#' both languages. Images are R arrays `n x 28 x 28 x 1` with values in
#' `[0, 1]`; labels are integer vectors; everything an R user indexes is
#' 1-based.
#'
#' Python is found, in order, through the environment variable
#' `VAELAB_PYTHON`, then `RETICULATE_PYTHON`, then a virtualenv named
#' `r-vaelab` (see [install_vaelab()]). With none of them and reticulate >=
#' 1.41, loading vaelab declares the Python core this package carries (a wheel
#' in `system.file("python", package = "vaelab")`, plus the extras in
#' `VAELAB_EXTRAS`) to `reticulate::py_require()`, which provisions it. Python
#' starts only when a function first needs it.
#'
#' @keywords internal
"_PACKAGE"

# The Python module, a reticulate proxy until first use (see .onLoad()).
vaelab_py <- NULL

.onLoad <- function(libname, pkgname) {
  choose_python()
  vaelab_py <<- reticulate::import("vaelab", delay_load = list(environment = "r-vaelab"))
}
