#' Build and train a conditional VAE
#'
#' The plain VAE with the digit's one-hot label fed to the encoder and to the
#' decoder. Told which digit to draw, the decoder leaves the latent vector free
#' to hold the handwriting alone, which makes [style_transfer()] possible. Any
#' ten classes will do, at any image shape (`input_shape`), e.g. CIFAR-10's
#' objects at `c(32, 32, 3)`.
#' [encode()], [decode()], [reconstruct()] and [generate()] take its labels.
#'
#' @inheritParams build_vae
#' @inheritParams train_vae
#' @param model A conditional VAE from `build_cvae()`.
#' @param images Training images, an array `n x height x width x channels`
#'   of the model's image shape, with values in `[0, 1]`.
#' @param labels Their class labels 0 to 9.
#' @param epochs,batch_size Passes over the data, and images per step.
#' @param validation_data Optional `list(images, labels)` evaluated after each
#'   epoch.
#' @param seed Optional seed (initial weights and sampling for `build_cvae()`,
#'   shuffling for `train_cvae()`).
#' @param verbose `TRUE` (one line per epoch), `FALSE`, 0, 1, 2 or `"auto"`.
#' @return `build_cvae()`: a compiled Keras model with inputs
#'   `list(images, one-hot labels)`. `train_cvae()`: a data.frame with one row
#'   per epoch (`epoch`, `loss`, `reconstruction_loss`, `kl_loss`, and their
#'   `val_` versions with validation data).
#' @export
#' @examplesIf vaelab_available()
#' x <- array(runif(64 * 28 * 28), c(64, 28, 28, 1))
#' cvae <- build_cvae(latent_dim = 2, seed = 1)
#' train_cvae(cvae, x, rep(0:7, 8), epochs = 1, batch_size = 32, verbose = FALSE)
#' train_cvae(cvae, x, rep(0:7, 8), epochs = 1, batch_size = 32, verbose = FALSE,
#'            distribution = "all")
build_cvae <- function(latent_dim = 5, recipe = "elbo", optimizer = "rmsprop", seed = NULL,
                       name = "cvae", jit_compile = "auto", input_shape = c(28, 28, 1),
                       likelihood = "bernoulli", precision = "float32") {
  build_vae_like("build_cvae", latent_dim, recipe, optimizer, seed, name, jit_compile,
                 input_shape, likelihood, precision, call = sys.call())
}

#' @rdname build_cvae
#' @export
train_cvae <- function(model, images, labels, epochs = 15, batch_size = 32,
                       validation_data = NULL, seed = NULL, verbose = "auto",
                       distribution = NULL) {
  history <- vaelab_call(
    "train_cvae", model = as_model(model), images = as_images(images),
    labels = as_labels(labels), epochs = as_int(epochs, "epochs"),
    batch_size = as_int(batch_size, "batch_size"),
    validation_data = as_validation_data(validation_data),
    seed = as_optional_int(seed, "seed"), verbose = as_verbose(verbose),
    distribution = as_scalar(distribution, "distribution"), .convert = FALSE
  )
  history_frame(history)
}

#' Style transfer: redraw digits as other digits in the same handwriting
#'
#' Encodes each image with its `source_label` and decodes the latent vector
#' once per target digit. With a conditional model the latent vector holds the
#' style (slant, thickness, width) and the label the digit, so a 7 decoded with
#' the labels 0 to 9 gives ten digits in the 7's handwriting.
#'
#' @param model A conditional model, e.g. `load_pretrained("cvaegan")`.
#' @param images An array `n x 28 x 28 x 1` with values in `[0, 1]`.
#' @param source_label The digit of the images: one for all, or one per image.
#' @param target_label The digits to draw, e.g. `0:9`.
#' @return An array `n x length(target_label) x 28 x 28 x 1`: `[i, j, , , ]` is
#'   image `i` redrawn as digit `target_label[j]`.
#' @export
#' @examplesIf vaelab_available()
#' cvae <- build_cvae(latent_dim = 2, seed = 1)
#' x <- array(runif(2 * 28 * 28), c(2, 28, 28, 1))
#' dim(style_transfer(cvae, x, 7, 0:9))
style_transfer <- function(model, images, source_label, target_label) {
  vaelab_call("style_transfer", model = as_model(model), images = as_images(images),
              source_label = as_labels(source_label, "source_label"),
              target_label = as_labels(target_label, "target_label"))
}

#' How often a conditional model draws the digit asked for
#'
#' Asks a conditional model for `n_per_class` new images of each digit and
#' reports how often the classifier recognises the digit asked for.
#'
#' @param model A conditional model.
#' @param classifier A classifier such as `load_pretrained("classifier")`.
#' @param n_per_class Images generated per digit.
#' @param seed Optional seed of the prior draws.
#' @return A list of `overall` and `per_class` (ten accuracies, digits 0 to 9).
#' @export
#' @examplesIf vaelab_available()
#' clf <- build_perceptual_model(seed = 1)
#' gan <- build_vaegan(latent_dim = 2, conditional = TRUE, seed = 1)
#' generation_accuracy(gan, clf, n_per_class = 2, seed = 1)$overall
generation_accuracy <- function(model, classifier, n_per_class = 100, seed = NULL) {
  out <- vaelab_call("generation_accuracy", model = as_model(model),
                     classifier = as_model(classifier, "classifier"),
                     n_per_class = as_int(n_per_class, "n_per_class"),
                     seed = as_optional_int(seed, "seed"))
  list(overall = out$overall, per_class = stats::setNames(unlist(out$per_class), 0:9))
}
