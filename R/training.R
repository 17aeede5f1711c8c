#' Train a VAE or a DFC VAE
#'
#' Fits a model from [build_vae()], [build_dfc_vae()] or one assembled with
#' [layer_variational()] on images alone (the loss is inside the model).
#' Training stops with an error of class `vaelab_TrainingDivergedError`,
#' naming the epoch and batch, if the loss becomes NaN or infinite.
#'
#' @param model A compiled VAE.
#' @param images Training images with values in `[0, 1]`: an array
#'   `n x height x width x channels` of the model's image shape
#'   ([image_shape_of()]), e.g. `n x 28 x 28 x 1` for MNIST, or what
#'   [load_celeba()], [load_image_folder()] or [synthetic_faces()] return
#'   (their `images` are used). Give the loaders `stream = TRUE` to train on
#'   image files read from disk one batch at a time instead, for sets larger
#'   than R's memory (Python's `ImageFiles`, passed on as it is).
#' @param epochs Passes over `images` (15 in the article, 10 in the book).
#' @param batch_size Images per step (32 in the article, 16 in the book).
#' @param validation_data Optional images evaluated after each epoch (any of
#'   the kinds `images` takes, but streamed files only when `images` are
#'   streamed too), or `list(images, NULL)` as in the book.
#' @param shuffle Shuffle `images` before each epoch.
#' @param seed Optional seed of the shuffling.
#' @param verbose `TRUE` (one line per epoch), `FALSE`, 0, 1, 2 or `"auto"`.
#' @param distribution Devices to train on, data parallel: `NULL` or `"none"`
#'   (one device), `"all"` (every device of this machine, and of every machine
#'   joined by `jax.distributed`; see the guide docs/scaling.md), or
#'   a Python object passed on as it is: a `keras.distribution.DataParallel`
#'   (JAX backend) or a `tf.distribute.Strategy` (TensorFlow backend).
#'   `batch_size` stays the global batch and must be a multiple of the number
#'   of devices; `model` itself ends up trained.
#' @return A data.frame with one row per epoch: `epoch`, `loss`,
#'   `reconstruction_loss`, `kl_loss` and, with validation data, their `val_`
#'   versions. (Python's `vaelab.train_vae()` returns the Keras `History`,
#'   whose `history` holds the same numbers.)
#' @export
#' @examplesIf vaelab_available()
#' x <- array(runif(256 * 28 * 28), c(256, 28, 28, 1))
#' vae <- build_vae(latent_dim = 2, seed = 1)
#' train_vae(vae, x, epochs = 2, batch_size = 64, verbose = FALSE)
#' # Colour images of any size whose sides are multiples of 16:
#' faces <- synthetic_faces(32, seed = 1, size = 32)
#' face_vae <- build_vae(latent_dim = 8, input_shape = c(32, 32, 3), likelihood = "gaussian")
#' train_vae(face_vae, faces, epochs = 1, batch_size = 16, verbose = FALSE)
#' # Every device of the machine (one device trains as before):
#' train_vae(vae, x, epochs = 1, batch_size = 64, verbose = FALSE, distribution = "all")
train_vae <- function(model, images, epochs = 15, batch_size = 32, validation_data = NULL,
                      shuffle = TRUE, seed = NULL, verbose = "auto", distribution = NULL) {
  history <- vaelab_call(
    "train_vae", model = as_model(model), images = as_images(images),
    epochs = as_int(epochs, "epochs"), batch_size = as_int(batch_size, "batch_size"),
    validation_data = as_validation_data(validation_data),
    shuffle = as_scalar(shuffle, "shuffle"), seed = as_optional_int(seed, "seed"),
    verbose = as_verbose(verbose), distribution = as_scalar(distribution, "distribution"),
    .convert = FALSE
  )
  history_frame(history)
}

# A Keras History (unconverted) as a data.frame with one row per epoch.
history_frame <- function(history) {
  metrics <- lapply(reticulate::py_to_r(history$history), function(v) as.double(unlist(v)))
  # Keras sorts metrics by name; show the total loss first and validation last.
  keys <- names(metrics)
  base <- match(sub("^val_", "", keys), c("loss", "reconstruction_loss", "kl_loss"))
  metrics <- metrics[order(startsWith(keys, "val_"), base, keys)]
  data.frame(epoch = seq_along(metrics[[1]]), metrics)
}
