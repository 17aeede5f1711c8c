#' Build and train a conditional VAE
#'
#' The plain VAE with the digit's one-hot label fed to the encoder and to the
#' decoder. Told which digit to draw, the decoder leaves the latent vector free
#' to hold the handwriting alone, which makes [style_transfer()] possible.
#'
#' @inheritParams build_vae
#' @param model A conditional VAE from `build_cvae()`.
#' @param x Training images, an array `n x 28 x 28 x 1` with values in `[0, 1]`.
#' @param labels Their digit labels 0 to 9.
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
build_cvae <- function(latent_dim = 5, recipe = "elbo", optimizer = "rmsprop", seed = NULL,
                       name = "cvae", jit_compile = "auto") {
  vaelab_call("build_cvae", latent_dim = as_int(latent_dim, "latent_dim"),
              recipe = as_recipe(recipe), optimizer = as_optimizer(optimizer),
              seed = as_seed(seed), name = as_string(name, "name"),
              jit_compile = as_jit(jit_compile))
}

#' @rdname build_cvae
#' @export
train_cvae <- function(model, x, labels, epochs = 15, batch_size = 32, validation_data = NULL,
                       seed = NULL, verbose = "auto") {
  x <- as_images(x, "x")
  if (!is.null(validation_data)) {
    if (!is.list(validation_data) || length(validation_data) != 2) {
      input_error("validation_data: expected list(images, labels)", sys.call())
    }
    vx <- as_images(validation_data[[1]], "validation images")
    validation_data <- list(vx, as_label_array(validation_data[[2]], n = dim(vx)[1],
                                               name = "validation labels"))
  }
  history <- vaelab_call(
    "train_cvae", model = as_model(model), x = x,
    labels = as_label_array(labels, n = dim(x)[1]),
    epochs = as_int(epochs, "epochs"), batch_size = as_int(batch_size, "batch_size"),
    validation_data = validation_data, seed = as_seed(seed), verbose = as_verbose(verbose),
    .convert = FALSE
  )
  history_frame(history)
}

#' Encode, decode and generate with a conditional model
#'
#' The conditional versions of [encode()], [decode()], [reconstruct()] and
#' [generate()], for [build_cvae()], [build_vaegan()] with
#' `conditional = TRUE` and `load_pretrained("cvaegan")`: every image or latent
#' vector comes with its digit label.
#'
#' @param model A conditional vaelab model.
#' @param x Images, an array `n x 28 x 28 x 1` with values in `[0, 1]`.
#' @param z Latent vectors, a matrix `n x latent_dim` (or one vector).
#' @param labels Digit labels 0 to 9, one per image or latent vector (for
#'   `generate_conditional()`, one per image to generate).
#' @param batch_size Images per prediction step.
#' @param seed Optional seed of the prior draws (the same images as Python's
#'   `vaelab.sample_conditional()` with that seed).
#' @return `encode_conditional()`: a matrix `n x latent_dim`. The others: an
#'   array `n x 28 x 28 x 1`.
#' @export
#' @examplesIf vaelab_available()
#' cvae <- build_cvae(latent_dim = 2, seed = 1)
#' x <- array(runif(3 * 28 * 28), c(3, 28, 28, 1))
#' z <- encode_conditional(cvae, x, c(1, 4, 7))
#' dim(decode_conditional(cvae, z, c(0, 0, 0)))
#' dim(generate_conditional(cvae, rep(3, 5), seed = 1))
encode_conditional <- function(model, x, labels, batch_size = 1000) {
  x <- as_images(x)
  vaelab_call("encode_conditional", model = as_model(model), x = x,
              labels = as_label_array(labels, n = dim(x)[1]),
              batch_size = as_int(batch_size, "batch_size"))
}

#' @rdname encode_conditional
#' @export
decode_conditional <- function(model, z, labels, batch_size = 1000) {
  z <- as_latents(z)
  vaelab_call("decode_conditional", model = as_model(model), z = z,
              labels = as_label_array(labels, n = nrow(z)),
              batch_size = as_int(batch_size, "batch_size"))
}

#' @rdname encode_conditional
#' @export
reconstruct_conditional <- function(model, x, labels, batch_size = 1000) {
  x <- as_images(x)
  vaelab_call("reconstruct_conditional", model = as_model(model), x = x,
              labels = as_label_array(labels, n = dim(x)[1]),
              batch_size = as_int(batch_size, "batch_size"))
}

#' @rdname encode_conditional
#' @export
generate_conditional <- function(model, labels, seed = NULL) {
  vaelab_call("sample_conditional", model = as_model(model), labels = as_label_array(labels),
              seed = as_seed(seed))
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
  images <- as_images(images, "images")
  n <- dim(images)[1]
  source_label <- as_labels(source_label, name = "source_label")
  if (!length(source_label) %in% c(1L, n)) {
    input_error(sprintf("source_label: expected 1 or %d labels, got %d", n,
                        length(source_label)), sys.call())
  }
  target_label <- as_labels(target_label, name = "target_label")
  if (length(target_label) == 0) {
    input_error("target_label: expected at least one digit", sys.call())
  }
  vaelab_call("style_transfer", model = as_model(model), images = images,
              source_label = array(source_label), target_label = array(target_label))
}

#' Build and train a VAE-GAN
#'
#' The VAE-GAN of Larsen et al. (2016): a VAE whose reconstruction loss is the
#' distance between a discriminator's hidden activations for an image and for
#' its reconstruction, while the discriminator learns to tell real images from
#' reconstructed and generated ones. The encoder minimises `beta` times the KL
#' term plus that feature loss, the decoder `gamma` times the feature loss minus the GAN
#' loss, the discriminator the GAN loss, each with its own RMSprop optimiser.
#' With `conditional = TRUE` all three networks see the one-hot label.
#'
#' What keeps training stable: the feature loss compares the discriminator's
#' second convolution (layer `features`), relative to the real images' mean
#' squared activation so that the discriminator cannot rescale it away;
#' the decoder uses the non-saturating form of the GAN loss; dropout slows the
#' discriminator, whose update is skipped while it is winning (its GAN loss
#' below `win_threshold`; 0.69 is a coin flip) while the encoder/decoder step
#' is repeated up to `max_generator_steps` times; the decoder learns more
#' slowly; the encoder's log-variance is clipped to `[-log_var_clip,
#' log_var_clip]`.
#'
#' @param latent_dim Size of the latent space (8 in the source article).
#' @param conditional Feed the digit label to all three networks.
#' @param gamma Weight of the feature loss against the GAN loss for the
#'   decoder. The feature loss counts 784 "pixels" (like the plain VAE's pixel
#'   loss) while the GAN loss is one cross-entropy per image, hence the small
#'   default (the source's `gamma = 1` went with other units).
#' @param beta Weight of the KL term against the feature loss for the encoder,
#'   as in a beta-VAE. Larger values leave less room in the code, so that the
#'   digit's class goes into the label and the code keeps the style: at
#'   `beta = 1` the code also tells the digit and the decoder ignores the
#'   label, which breaks [style_transfer()].
#' @param learning_rates RMSprop learning rates of encoder, decoder and
#'   discriminator.
#' @param dropout Dropout rate of the discriminator's top layers.
#' @param win_threshold,max_generator_steps The balance rule above.
#' @param log_var_clip Bound of the clipped log-variance.
#' @param seed Optional seed (initial weights and sampling for
#'   `build_vaegan()`, shuffling for `train_vaegan()`).
#' @param name Name of the model; `NULL` gives `"vaegan"` or `"cvaegan"`.
#' @param model A VAE-GAN from `build_vaegan()` or `load_pretrained("cvaegan")`.
#' @param x Training images, an array `n x 28 x 28 x 1` with values in `[0, 1]`.
#' @param labels Their digit labels (required when the model is conditional).
#' @param epochs,batch_size Passes over the data, and images per batch.
#' @param verbose Print one line per epoch.
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
    conditional = as_flag(conditional, "conditional"), gamma = as_number(gamma, "gamma"),
    beta = as_number(beta, "beta"),
    learning_rates = as.list(as_values(learning_rates, "learning_rates", n = 3)),
    dropout = as_number(dropout, "dropout"), win_threshold = as_number(win_threshold,
                                                                       "win_threshold"),
    max_generator_steps = as_int(max_generator_steps, "max_generator_steps"),
    log_var_clip = as_number(log_var_clip, "log_var_clip"), seed = as_seed(seed),
    name = if (is.null(name)) NULL else as_string(name, "name")
  )
}

#' @rdname build_vaegan
#' @export
train_vaegan <- function(model, x, labels = NULL, epochs = 10, batch_size = 64, seed = NULL,
                         verbose = TRUE) {
  x <- as_images(x, "x")
  history <- vaelab_call(
    "train_vaegan", model = as_model(model), x = x,
    labels = if (is.null(labels)) NULL else as_label_array(labels, n = dim(x)[1]),
    epochs = as_int(epochs, "epochs"), batch_size = as_int(batch_size, "batch_size"),
    seed = as_seed(seed), verbose = as.integer(as_flag(verbose, "verbose"))
  )
  history <- lapply(history, function(v) as.double(unlist(v)))
  data.frame(epoch = seq_along(history[[1]]), history)
}

#' Evaluate VAE-GANs like the DFC VAE: sharpness, recognisability, generation
#'
#' `compare_sharpness()` reconstructs `x` with every model (conditional ones
#' are given `labels`) and returns the mean variance of the Laplacian per class
#' group, every paired test between originals and reconstructions (as
#' [blur_comparison()]), and the classifier's accuracy on the
#' reconstructions. `generation_accuracy()` asks a conditional model for
#' `n_per_class` new images of each digit and reports how often the classifier
#' recognises the digit asked for.
#'
#' @param models A named list of models, e.g. `list("plain VAE" = vae,
#'   "DFC VAE" = dfc, "VAE-GAN" = gan)`.
#' @param classifier A classifier such as `load_pretrained("classifier")`.
#' @param x Test images, an array `n x 28 x 28 x 1`.
#' @param labels Their digit labels.
#' @param model A conditional model.
#' @param n_per_class Images generated per digit.
#' @param seed Optional seed of the prior draws.
#' @return `compare_sharpness()`: a list of `mean_laplacian_variance` (a
#'   matrix, one row per class group, one column per image set), `tests` (a
#'   data.frame) and `classifier_accuracy` (a named vector).
#'   `generation_accuracy()`: a list of `overall` and `per_class` (ten
#'   accuracies, digits 0 to 9).
#' @export
#' @examplesIf vaelab_available()
#' x <- array(runif(20 * 28 * 28), c(20, 28, 28, 1))
#' clf <- build_perceptual_model(seed = 1)
#' gan <- build_vaegan(latent_dim = 2, conditional = TRUE, seed = 1)
#' generation_accuracy(gan, clf, n_per_class = 2, seed = 1)$overall
#' compare_sharpness(list(VAE = build_vae(latent_dim = 2), "VAE-GAN" = gan), clf, x,
#'                   rep(0:9, 2))$mean_laplacian_variance
compare_sharpness <- function(models, classifier, x, labels) {
  models <- as_model_list(models)
  x <- as_images(x)
  out <- vaelab_call("compare_sharpness", models = models,
                     classifier = as_model(classifier, "classifier"), x = x,
                     labels = as_label_array(labels, n = dim(x)[1]))
  means <- out$mean_laplacian_variance
  out$mean_laplacian_variance <- do.call(rbind, lapply(means, unlist))
  # Column by column: reticulate 1.28 does not recognise pandas 3 data frames.
  columns <- out$tests$to_dict(orient = "list")
  out$tests <- as.data.frame(lapply(columns, unlist), stringsAsFactors = FALSE)
  out$classifier_accuracy <- unlist(out$classifier_accuracy)
  out
}

#' @rdname compare_sharpness
#' @export
generation_accuracy <- function(model, classifier, n_per_class = 100, seed = NULL) {
  out <- vaelab_call("generation_accuracy", model = as_model(model),
                     classifier = as_model(classifier, "classifier"),
                     n_per_class = as_int(n_per_class, "n_per_class"), seed = as_seed(seed))
  list(overall = out$overall, per_class = stats::setNames(unlist(out$per_class), 0:9))
}

#' Attributes measured on the image: ink mass and slant
#'
#' `ink_mass()` sums the pixel intensities, a measure of stroke thickness.
#' `slant()` is `-cov(row, column) / var(row)` with the pixels as weights: how
#' many columns the digit moves right per row up (positive leans right, 0 is
#' upright), the moments used to deskew MNIST.
#'
#' @param images An array `n x 28 x 28 x 1` with values in `[0, 1]`.
#' @return A numeric vector, one value per image.
#' @export
#' @examplesIf vaelab_available()
#' bar <- matrix(0, 28, 28)
#' for (r in 5:24) bar[r, round(14 + 0.5 * (15 - r))] <- 1
#' ink_mass(bar)
#' slant(bar)
ink_mass <- function(images) {
  as.double(vaelab_call("ink_mass", images = as_images(images, "images")))
}

#' @rdname ink_mass
#' @export
slant <- function(images) {
  as.double(vaelab_call("slant", images = as_images(images, "images")))
}

#' Attribute vectors: add a property to digits in latent space
#'
#' `attribute_vector()` encodes `images` and returns the mean latent vector of
#' those with the attribute minus the mean of those without it.
#' `apply_attribute()` adds `strength * vector` to each image's latent vector,
#' for every strength, and decodes. [plot_edit_rows()] draws the result.
#'
#' @param model A vaelab VAE or conditional model.
#' @param images An array `n x 28 x 28 x 1` with values in `[0, 1]`.
#' @param has_attribute `TRUE`/`FALSE` per image, e.g.
#'   `ink_mass(x) > median(ink_mass(x))`.
#' @param labels Digit labels of the images, needed (only) by conditional
#'   models.
#' @param vector An attribute vector (length `latent_dim`).
#' @param strengths Multiples of `vector` to add; 0 is the reconstruction.
#' @return `attribute_vector()`: a numeric vector of length `latent_dim`.
#'   `apply_attribute()`: an array `n x length(strengths) x 28 x 28 x 1`.
#' @export
#' @examplesIf vaelab_available()
#' vae <- build_vae(latent_dim = 2, seed = 1)
#' x <- array(runif(10 * 28 * 28), c(10, 28, 28, 1))
#' v <- attribute_vector(vae, x, ink_mass(x) > median(ink_mass(x)))
#' dim(apply_attribute(vae, x[1:2, , , , drop = FALSE], v, c(0, 1, 2)))
attribute_vector <- function(model, images, has_attribute, labels = NULL) {
  images <- as_images(images, "images")
  n <- dim(images)[1]
  if (!is.logical(has_attribute) || anyNA(has_attribute) || length(has_attribute) != n) {
    input_error(sprintf("has_attribute: expected %d TRUE/FALSE values (one per image), got %s",
                        n, describe(has_attribute)), sys.call())
  }
  as.double(vaelab_call("attribute_vector", model = as_model(model), images = images,
                        has_attribute = array(has_attribute),
                        labels = if (is.null(labels)) NULL else as_label_array(labels, n = n)))
}

#' @rdname attribute_vector
#' @export
apply_attribute <- function(model, images, vector, strengths, labels = NULL) {
  images <- as_images(images, "images")
  vaelab_call("apply_attribute", model = as_model(model), images = images,
              vector = array(as_values(vector, "vector")),
              strengths = array(as_values(strengths, "strengths")),
              labels = if (is.null(labels)) NULL
                       else as_label_array(labels, n = dim(images)[1]))
}

#' Draw edit rows: style transfer or attribute edits
#'
#' One row per image of an array `n x m x 28 x 28 x 1` from [style_transfer()]
#' or [apply_attribute()], drawn with [plot_images()].
#'
#' @param edits An array `n x m x 28 x 28 x 1` (or `n x m x 28 x 28`).
#' @param column_titles Optional titles of the `m` columns (target digits,
#'   strengths).
#' @param row_names Optional different names of the `n` rows.
#' @return `edits`, invisibly.
#' @export
#' @examplesIf vaelab_available()
#' edits <- array(runif(2 * 3 * 28 * 28), c(2, 3, 28, 28, 1))
#' plot_edit_rows(edits, column_titles = c(-1, 0, 1), row_names = c("a", "b"))
plot_edit_rows <- function(edits, column_titles = NULL, row_names = NULL) {
  d <- dim(edits)
  if (!is.numeric(edits) || !(length(d) == 5 && identical(as.integer(d[3:5]), c(28L, 28L, 1L)) ||
                              length(d) == 4 && identical(as.integer(d[3:4]), c(28L, 28L)))) {
    input_error(sprintf("edits: expected an array n x m x 28 x 28 x 1, got %s",
                        describe(edits)), sys.call())
  }
  images <- edits
  if (length(d) == 4) {
    dim(images) <- c(d, 1L) # a trailing extent of 1 keeps every pixel at its index
  }
  row_names <- if (is.null(row_names)) as.character(seq_len(d[1])) else as.character(row_names)
  if (length(row_names) != d[1] || anyDuplicated(row_names)) {
    input_error(sprintf("row_names: expected %d different names (one per row)", d[1]),
                sys.call())
  }
  rows <- lapply(seq_len(d[1]), function(i) {
    array(images[i, , , , , drop = FALSE], c(d[2], 28, 28, 1))
  })
  plot_images(stats::setNames(rows, row_names), titles = column_titles)
  invisible(edits)
}

# ---- coercions for VAE-GAN arguments --------------------------------------------------

as_number <- function(x, name, call = sys.call(sys.parent())) {
  if (!is.numeric(x) || length(x) != 1 || is.na(x) || !is.finite(x)) {
    input_error(sprintf("%s: expected one finite number, got %s", name, describe(x)), call)
  }
  as.double(x)
}

# Labels as a 1-d array, so that a single label still reaches NumPy as a vector.
as_label_array <- function(y, n = NULL, name = "labels", call = sys.call(sys.parent())) {
  array(as_labels(y, n = n, name = name, call = call))
}
