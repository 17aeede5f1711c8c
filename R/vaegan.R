#' Build and train a VAE-GAN
#'
#' The VAE-GAN of Larsen et al. (2016): a VAE whose reconstruction loss is the
#' distance between a discriminator's hidden activations for an image and for
#' its reconstruction, while the discriminator learns to tell real images from
#' reconstructed and generated ones. With `conditional = TRUE` all three
#' networks see the one-hot label. What keeps its training stable (the
#' feature scale, the non-saturating GAN loss, the balance rule of
#' `win_threshold` and `max_generator_steps`, the clipped log-variance) is
#' documented once, in the Python module: `help(vaelab.vaegan)` in Python, or
#' the Python API reference of the package site.
#'
#' @param latent_dim Size of the latent space (8 in the source article).
#' @param conditional Feed the digit label to all three networks.
#' @param gamma Weight of the feature loss against the GAN loss for the
#'   decoder.
#' @param beta Weight of the KL term against the feature loss for the encoder,
#'   as in a beta-VAE; larger values leave the digit's class to the label,
#'   which [style_transfer()] needs.
#' @param learning_rates RMSprop learning rates of encoder, decoder and
#'   discriminator (Python's `vaelab.vaegan.LEARNING_RATES` by default).
#' @param dropout Dropout rate of the discriminator's top layers.
#' @param win_threshold,max_generator_steps The balance rule: the
#'   discriminator's update is skipped while its GAN loss is below
#'   `win_threshold`, and the encoder/decoder step is repeated up to
#'   `max_generator_steps` times.
#' @param log_var_clip Bound of the clipped log-variance.
#' @param seed Optional seed (initial weights and sampling for
#'   `build_vaegan()`, shuffling for `train_vaegan()`).
#' @param name Name of the model; `NULL` gives `"vaegan"` or `"cvaegan"`.
#' @param model A VAE-GAN from `build_vaegan()` or `load_pretrained("cvaegan")`.
#' @param images Training images, an array `n x 28 x 28 x 1` with values in
#'   `[0, 1]`.
#' @param labels Their digit labels (required when the model is conditional).
#' @param epochs,batch_size Passes over the data, and images per batch.
#' @param verbose `TRUE` (one line per epoch), `FALSE`, 0, 1, 2 or `"auto"`.
#' @param distribution Devices to train on, data parallel: `NULL` or `"none"`
#'   (one device), `"all"` (every device of this machine, and of every machine
#'   joined by `jax.distributed`; see the guide docs/scaling.md), or
#'   a Python object passed on as it is: a `keras.distribution.DataParallel`
#'   (JAX backend) or a `tf.distribute.Strategy` (TensorFlow backend).
#'   `batch_size` stays the global batch and must be a multiple of the number
#'   of devices; `model` itself ends up trained. The VAE-GAN's own training
#'   loop spreads over devices on the JAX backend only (an error on
#'   TensorFlow).
#' @return `build_vaegan()`: the model (a Keras model with sub-models
#'   `encoder`, `decoder` and `discriminator`). `train_vaegan()`: a data.frame
#'   with one row per epoch: the mean losses `prior` (KL), `feature`, `gan`
#'   (the discriminator's), `gan_generator`, `encoder`, `decoder`, and the
#'   numbers of `discriminator_steps` and `generator_steps`.
#' @export
#' @examplesIf vaelab_available()
#' x <- array(runif(32 * 28 * 28), c(32, 28, 28, 1))
#' gan <- build_vaegan(latent_dim = 2, conditional = TRUE, seed = 1)
#' train_vaegan(gan, x, rep(0:7, 4), epochs = 1, batch_size = 16, verbose = FALSE)
build_vaegan <- function(latent_dim = 8, conditional = FALSE, gamma = 0.05, beta = 8,
                         learning_rates = c(1e-3, 3e-4, 1e-3), dropout = 0.3,
                         win_threshold = 0.35, max_generator_steps = 2, log_var_clip = 2,
                         seed = NULL, name = NULL) {
  vaelab_call(
    "build_vaegan", latent_dim = as_int(latent_dim, "latent_dim"),
    conditional = as_scalar(conditional, "conditional"), gamma = as_scalar(gamma, "gamma"),
    beta = as_scalar(beta, "beta"), learning_rates = as_tuple(learning_rates, "learning_rates"),
    dropout = as_scalar(dropout, "dropout"),
    win_threshold = as_scalar(win_threshold, "win_threshold"),
    max_generator_steps = as_int(max_generator_steps, "max_generator_steps"),
    log_var_clip = as_scalar(log_var_clip, "log_var_clip"),
    seed = as_optional_int(seed, "seed"), name = as_scalar(name, "name")
  )
}

#' @rdname build_vaegan
#' @export
train_vaegan <- function(model, images, labels = NULL, epochs = 10, batch_size = 64, seed = NULL,
                         verbose = "auto", distribution = NULL) {
  history <- vaelab_call(
    "train_vaegan", model = as_model(model), images = as_images(images),
    labels = as_optional_labels(labels), epochs = as_int(epochs, "epochs"),
    batch_size = as_int(batch_size, "batch_size"), seed = as_optional_int(seed, "seed"),
    verbose = as_verbose(verbose), distribution = as_scalar(distribution, "distribution")
  )
  history <- lapply(history, function(v) as.double(unlist(v)))
  data.frame(epoch = seq_along(history[[1]]), history)
}
