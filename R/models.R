#' Build the encoder or the decoder
#'
#' The encoder maps an image to the latent mean and log-variance
#' (`list(z_mean, z_log_var)` when called on a tensor); the decoder maps a
#' latent vector to pixel probabilities. Use them with [layer_sampling()] and
#' [layer_variational()] to assemble a VAE step by step, as in the book.
#'
#' The image shape chooses the architecture: `c(28, 28, 1)` gets the one of
#' the article and the book, layer for layer; any other height and width that
#' are multiples of 16, grey (1 channel) or colour (3), get the DFC paper's
#' (four strided 4 x 4 convolutions down, four upsamplings with 3 x 3
#' convolutions up), e.g. `c(32, 32, 3)` for CIFAR-10 or `c(64, 64, 3)` for
#' faces.
#'
#' @param latent_dim Size of the latent space.
#' @param name Name of the Keras model; [encode()] and [decode()] find the
#'   sub-models of a VAE by the names `"encoder"` and `"decoder"`.
#' @param input_shape,output_shape The images' `c(height, width, channels)`.
#' @return A Keras model (a Python object).
#' @export
#' @examplesIf vaelab_available()
#' encoder <- build_encoder(latent_dim = 2)
#' decoder <- build_decoder(latent_dim = 2)
#' encoder$output_shape
#' # Colour faces, 64 x 64:
#' face_decoder <- build_decoder(latent_dim = 100, output_shape = c(64, 64, 3))
#' face_decoder$output_shape
build_encoder <- function(latent_dim = 5, name = "encoder", input_shape = c(28, 28, 1)) {
  vaelab_call("build_encoder", latent_dim = as_int(latent_dim, "latent_dim"),
              name = as_scalar(name, "name"), input_shape = as_ints(input_shape, "input_shape"))
}

#' @rdname build_encoder
#' @export
build_decoder <- function(latent_dim = 5, name = "decoder", output_shape = c(28, 28, 1)) {
  vaelab_call("build_decoder", latent_dim = as_int(latent_dim, "latent_dim"),
              name = as_scalar(name, "name"),
              output_shape = as_ints(output_shape, "output_shape"))
}

#' The shape of the images a model takes or makes
#'
#' The `c(height, width, channels)` of the images a VAE, an encoder or a
#' classifier takes, or a decoder makes: what [train_vae()], [encode()] and
#' the other functions expect as `n x height x width x channels`.
#'
#' @param model A Keras model.
#' @return An integer vector `c(height, width, channels)`.
#' @export
#' @examplesIf vaelab_available()
#' image_shape_of(build_vae(latent_dim = 2))
#' image_shape_of(build_vae(latent_dim = 2, input_shape = c(32, 32, 3)))
image_shape_of <- function(model) {
  as.integer(unlist(vaelab_call("image_shape_of", model = as_model(model))))
}

#' Build a plain VAE
#'
#' Encoder, sampler and decoder, with the loss (a pixel-wise reconstruction
#' term plus the KL divergence) added by a [layer_variational()]. The model
#' comes compiled, so [train_vae()] trains it at once.
#'
#' @param latent_dim Size of the latent space: 5 in the article, 2 in the
#'   book.
#' @param recipe How the loss terms are weighted: `"elbo"` (per-image sums,
#'   the article) or `"book"` (the book's pixel mean and KL weight 5e-4).
#' @param optimizer A Keras optimizer name such as `"rmsprop"` or an
#'   optimizer object.
#' @param seed Optional seed for reproducible initial weights and sampling.
#' @param name Name of the Keras model.
#' @param jit_compile Whether training uses XLA: `TRUE`, `FALSE` or `"auto"`.
#'   With TensorFlow on a CPU, `"auto"` starts with each architecture's fixed
#'   choice, and a long training run first times the ways this machine can run
#'   it and keeps the fastest (see [tune_execution()]); with a GPU it is
#'   Keras's choice (XLA). Your own `model$compile()` keeps vaelab's choice.
#' @param input_shape The images' `c(height, width, channels)`, which chooses
#'   the architecture (see [build_encoder()]): MNIST's `c(28, 28, 1)` gets the
#'   article's; e.g. `c(32, 32, 3)` (CIFAR-10) or `c(64, 64, 3)` (faces) the
#'   DFC paper's.
#' @param likelihood The reconstruction term: `"bernoulli"` (binary
#'   cross-entropy of the pixels, the article's, for grey images near black
#'   and white) or `"gaussian"` (half the squared error, the DFC paper's, for
#'   colour photographs).
#' @param precision `"float32"` (the default) or `"bfloat16"`: mixed precision,
#'   where the encoder and decoder compute in bfloat16 and the weights and the
#'   loss stay float32; faster on CPUs with AVX-512 BF16 or AMX and on recent
#'   GPUs, with slightly different numbers (`benchmarks/RESULTS.md`).
#' @return A compiled Keras model.
#' @export
#' @examplesIf vaelab_available()
#' vae <- build_vae(latent_dim = 2, recipe = "book", seed = 1)
#' vae$count_params()
#' # Colour images of CIFAR-10's size, with the Gaussian likelihood:
#' cifar_vae <- build_vae(latent_dim = 32, input_shape = c(32, 32, 3),
#'                        likelihood = "gaussian", seed = 1)
#' image_shape_of(cifar_vae)
build_vae <- function(latent_dim = 5, recipe = "elbo", optimizer = "rmsprop", seed = NULL,
                      name = "vae", jit_compile = "auto", input_shape = c(28, 28, 1),
                      likelihood = "bernoulli", precision = "float32") {
  build_vae_like("build_vae", latent_dim, recipe, optimizer, seed, name, jit_compile,
                 input_shape, likelihood, precision, call = sys.call())
}

# build_vae() and build_cvae(): one set of arguments, converted alike.
build_vae_like <- function(fun, latent_dim, recipe, optimizer, seed, name, jit_compile,
                           input_shape, likelihood, precision, call = sys.call(-1)) {
  vaelab_call(fun, latent_dim = as_int(latent_dim, "latent_dim", call),
              recipe = as_scalar(recipe, "recipe", call), optimizer = optimizer,
              seed = as_optional_int(seed, "seed", call), name = as_scalar(name, "name", call),
              jit_compile = as_scalar(jit_compile, "jit_compile", call),
              input_shape = as_ints(input_shape, "input_shape", call),
              likelihood = as_scalar(likelihood, "likelihood", call),
              precision = as_scalar(precision, "precision", call), .call = call)
}

#' Build or train the perceptual model of the DFC VAE
#'
#' A small MNIST classifier whose hidden convolutions (`conv1`, `conv2`,
#' `conv3`) give the DFC VAE its reconstruction loss. `build_perceptual_model()`
#' returns it untrained; `train_perceptual_model()` trains a new one (or
#' `model`) on labelled images. The shipped one is
#' `load_pretrained("classifier")`.
#'
#' @param images Training images, an array `n x 28 x 28 x 1` with values in
#'   `[0, 1]`.
#' @param labels Their digit labels 0 to 9.
#' @param epochs,batch_size Passes over the data, and images per step.
#' @param shift Training images are shifted at random by up to this many
#'   pixels each way (a training-only augmentation; 0 turns it off).
#' @param validation_data Optional `list(images, labels)` evaluated after each epoch.
#' @param model A perceptual model to keep training; `NULL` builds one.
#' @param seed Optional seed for the initial weights.
#' @param verbose `TRUE` (one line per epoch), `FALSE`, 0, 1, 2 or `"auto"`.
#' @param name Name of the Keras model.
#' @return A Keras model.
#' @export
#' @examplesIf vaelab_available()
#' x <- array(runif(64 * 28 * 28), c(64, 28, 28, 1))
#' clf <- train_perceptual_model(x, rep(0:7, 8), epochs = 1, verbose = FALSE, seed = 1)
#' classifier_accuracy(clf, x, rep(0:7, 8))
build_perceptual_model <- function(seed = NULL, name = "classifier") {
  vaelab_call("build_perceptual_model", seed = as_optional_int(seed, "seed"),
              name = as_scalar(name, "name"))
}

#' @rdname build_perceptual_model
#' @export
train_perceptual_model <- function(images, labels, epochs = 10, batch_size = 128,
                                   validation_data = NULL, model = NULL, shift = 2, seed = NULL,
                                   verbose = "auto") {
  vaelab_call("train_perceptual_model", images = as_images(images), labels = as_labels(labels),
              epochs = as_int(epochs, "epochs"), batch_size = as_int(batch_size, "batch_size"),
              validation_data = as_validation_data(validation_data),
              model = as_optional_model(model, "model"), shift = as_scalar(shift, "shift"),
              seed = as_optional_int(seed, "seed"), verbose = as_verbose(verbose))
}

#' Build a deep feature consistent VAE
#'
#' Like [build_vae()], but the reconstruction is compared in the feature space
#' of a perceptual model: the squared differences between its hidden
#' activations for an image and for the reconstruction, weighted per layer. A
#' frozen copy of `perceptual_model` becomes part of the VAE.
#'
#' @inheritParams build_vae
#' @param perceptual_model A trained classifier, e.g.
#'   `load_pretrained("classifier")`, or any Keras model with one image input,
#'   e.g. [vgg19_perceptual_model()].
#' @param layers Its layers whose activations are compared: names such as
#'   `c("conv1", "conv2")` (the default) or 1-based positions among its layers.
#' @param layer_weights One non-negative weight per layer (default all 1).
#' @param input_shape The images' `c(height, width, channels)`; `NULL` (the
#'   default) takes the perceptual model's input shape, which it must equal
#'   when given. It chooses the architecture as in [build_vae()].
#' @return A compiled Keras model.
#' @export
#' @examplesIf vaelab_available()
#' dfc <- build_dfc_vae(build_perceptual_model(), latent_dim = 5, seed = 1)
#' dfc$get_layer("perceptual_features")$trainable
#' # Any Keras model with one image input serves as the perceptual model, e.g. a
#' # small one for 64 x 64 colour images (or vgg19_perceptual_model(), as in the paper):
#' keras <- reticulate::import("keras")
#' features <- keras$Sequential(list(
#'   keras$Input(shape = c(64L, 64L, 3L)),
#'   keras$layers$Conv2D(8L, 3L, strides = 2L, activation = "relu", name = "conv1"),
#'   keras$layers$Conv2D(8L, 3L, strides = 2L, activation = "relu", name = "conv2")
#' ))
#' faces_dfc <- build_dfc_vae(features, latent_dim = 16, input_shape = c(64, 64, 3))
#' image_shape_of(faces_dfc)
build_dfc_vae <- function(perceptual_model, latent_dim = 5, layers = NULL, layer_weights = NULL,
                          recipe = "elbo", optimizer = "rmsprop", seed = NULL,
                          name = "dfc_vae", jit_compile = "auto", input_shape = NULL,
                          precision = "float32") {
  vaelab_call("build_dfc_vae", perceptual_model = as_model(perceptual_model, "perceptual_model"),
              latent_dim = as_int(latent_dim, "latent_dim"), layers = as_layers(layers),
              layer_weights = as_tuple(layer_weights, "layer_weights"),
              recipe = as_scalar(recipe, "recipe"), optimizer = optimizer,
              seed = as_optional_int(seed, "seed"), name = as_scalar(name, "name"),
              jit_compile = as_scalar(jit_compile, "jit_compile"),
              input_shape = as_ints(input_shape, "input_shape"),
              precision = as_scalar(precision, "precision"))
}

#' Save and load models and weights
#'
#' `save_model()` writes the whole model (architecture, weights, optimizer) to
#' a `.keras` file that Python's `vaelab.load_model()` reads too, which is how
#' a model moves between R and Python sessions. `save_weights()` writes only
#' the weights (`.weights.h5`) for a model built the same way. Files are
#' written atomically: a crash never leaves half a file.
#'
#' @param model A Keras model.
#' @param path File path ending in `.keras` (models) or `.weights.h5`
#'   (weights).
#' @return `save_model()` and `save_weights()` return `path` invisibly;
#'   `load_model()` the model; `load_weights()` `model` with the weights.
#' @export
#' @examplesIf vaelab_available()
#' path <- tempfile(fileext = ".keras")
#' save_model(build_vae(latent_dim = 2, seed = 1), path)
#' vae <- load_model(path)
#' vae$name
save_model <- function(model, path) {
  path <- as_path(path)
  vaelab_call("save_model", model = as_model(model), path = path)
  invisible(path)
}

#' @rdname save_model
#' @export
load_model <- function(path) {
  vaelab_call("load_model", path = as_path(path))
}

#' @rdname save_model
#' @export
save_weights <- function(model, path) {
  path <- as_path(path)
  vaelab_call("save_weights", model = as_model(model), path = path)
  invisible(path)
}

#' @rdname save_model
#' @export
load_weights <- function(model, path) {
  vaelab_call("load_weights", model = as_model(model), path = as_path(path))
}
