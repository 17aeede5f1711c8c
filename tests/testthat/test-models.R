test_that("the encoder and decoder have the documented shapes", {
  skip_if_no_vaelab()
  encoder <- build_encoder(latent_dim = 3)
  decoder <- build_decoder(latent_dim = 3)
  expect_identical(encoder$name, "encoder")
  expect_identical(encoder$output_shape, list(list(NULL, 3L), list(NULL, 3L)))
  expect_identical(decoder$output_shape, list(NULL, 28L, 28L, 1L))
  expect_error(build_encoder(latent_dim = 0), "latent_dim: expected an integer >= 1, got 0",
               class = "vaelab_ValueError")
})

test_that("build_vae() takes R numbers and seeds reproducibly", {
  skip_if_no_vaelab()
  x <- random_images(4)
  a <- build_vae(latent_dim = 2, recipe = "book", seed = 3)
  b <- build_vae(latent_dim = 2.0, recipe = "book", seed = 3.0)
  expect_identical(encode(a, x), encode(b, x))
  expect_identical(a$get_layer("variational")$recipe, "book")
  expect_error(build_vae(recipe = "mse"), "recipe: expected one of", class = "vaelab_ValueError")
  expect_error(build_vae(optimizer = 1), class = "vaelab_error")
  expect_false(build_vae(latent_dim = 2, jit_compile = FALSE)$jit_compile)
  expect_error(build_vae(jit_compile = NA), class = "vaelab_input_error")
})

test_that("build_dfc_vae() takes layer names or 1-based positions", {
  skip_if_no_vaelab()
  clf <- build_perceptual_model(seed = 1)
  by_name <- build_dfc_vae(clf, latent_dim = 2, layers = c("conv1", "conv3"), seed = 1)
  # Position 1 is the input layer, 2 is conv1, 6 is conv3.
  by_position <- build_dfc_vae(clf, latent_dim = 2, layers = c(2, 6), seed = 1)
  shapes <- function(model) model$get_layer("perceptual_features")$output_shape
  weights <- function(model) {
    unlist(reticulate::import_builtins()$list(model$get_layer("variational")$layer_weights))
  }
  expect_identical(shapes(by_position), shapes(by_name))
  expect_identical(shapes(by_name), list(list(NULL, 26L, 26L, 32L), list(NULL, 3L, 3L, 64L)))
  expect_identical(weights(by_name), c(1, 1))
  weighted <- build_dfc_vae(clf, latent_dim = 2, layer_weights = c(0.5, 2))
  expect_identical(weights(weighted), c(0.5, 2))
  expect_error(build_dfc_vae(clf, layers = 0), "layers: positions count from 1",
               class = "vaelab_input_error")
  expect_error(build_dfc_vae(clf, layers = "dense9"), class = "vaelab_ValueError")
  expect_error(build_dfc_vae("classifier"), class = "vaelab_error")
})

test_that("train_perceptual_model() trains on R images and labels", {
  skip_if_no_vaelab()
  x <- random_images(32)
  y <- rep(0:3, 8)
  clf <- train_perceptual_model(x, y, epochs = 1, batch_size = 16,
                                validation_data = list(x[1:8, , , , drop = FALSE], y[1:8]),
                                seed = 1, verbose = FALSE)
  untrained <- build_perceptual_model(seed = 1)
  expect_false(identical(clf$get_weights()[[1]], untrained$get_weights()[[1]]))
  expect_error(train_perceptual_model(x, y[-1]), "labels: expected 32 labels",
               class = "vaelab_ValueError")
})

test_that("models and weights survive a save and a load", {
  skip_if_no_vaelab()
  x <- random_images(3)
  vae <- build_vae(latent_dim = 2, seed = 1)
  path <- tempfile(fileext = ".keras")
  expect_identical(save_model(vae, path), path)
  expect_identical(encode(load_model(path), x), encode(vae, x))
  weights <- tempfile(fileext = ".weights.h5")
  save_weights(vae, weights)
  other <- load_weights(build_vae(latent_dim = 2, seed = 2), weights)
  expect_identical(encode(other, x), encode(vae, x))
  expect_error(save_model(vae, tempfile(fileext = ".h5")), "ending in .keras",
               class = "vaelab_ValueError")
  expect_error(load_weights(build_vae(latent_dim = 3), weights), "another latent_dim",
               class = "vaelab_ValueError")
})

test_that("input_shape chooses the architecture, and image_shape_of() reads it back", {
  skip_if_no_vaelab()
  encoder <- build_encoder(latent_dim = 3, input_shape = c(64, 64, 3))
  decoder <- build_decoder(latent_dim = 3, output_shape = c(32, 48, 1))
  expect_identical(encoder$input_shape, list(NULL, 64L, 64L, 3L))
  expect_identical(decoder$output_shape, list(NULL, 32L, 48L, 1L))
  expect_identical(image_shape_of(encoder), c(64L, 64L, 3L))
  expect_identical(image_shape_of(decoder), c(32L, 48L, 1L))
  expect_identical(image_shape_of(build_vae(latent_dim = 2)), c(28L, 28L, 1L))
  vae <- build_vae(latent_dim = 2, input_shape = c(32, 32, 3), likelihood = "gaussian")
  expect_identical(image_shape_of(vae), c(32L, 32L, 3L))
  expect_identical(vae$get_layer("variational")$likelihood, "gaussian")
  expect_identical(build_vae(latent_dim = 2)$get_layer("variational")$likelihood, "bernoulli")
  # The DFC paper's architecture has batch normalisation; the article's has none.
  has_batch_norm <- function(model) {
    any(vapply(model$get_layer("encoder")$layers, function(l) {
      inherits(l, "keras.src.layers.normalization.batch_normalization.BatchNormalization")
    }, logical(1)))
  }
  expect_true(has_batch_norm(vae))
  expect_false(has_batch_norm(build_vae(latent_dim = 2)))
})

test_that("a bad input_shape or likelihood is Python's classed error, in R's words", {
  skip_if_no_vaelab()
  expect_error(build_vae(input_shape = c(30, 30, 3)),
               "input_shape: expected 28 x 28 x 1 .* e\\.g\\. 64 x 64 x 3; got 30 x 30 x 3",
               class = "vaelab_ValueError")
  expect_error(build_encoder(input_shape = c(64, 64, 2)), "1 or 3 channels",
               class = "vaelab_ValueError")
  expect_error(build_decoder(output_shape = c(64, 64)), "output_shape: expected",
               class = "vaelab_ValueError")
  expect_error(build_vae(likelihood = "laplace"), "likelihood: expected one of",
               class = "vaelab_ValueError")
  expect_error(build_vae(input_shape = c(64, NA, 3)), "input_shape: contains NA",
               class = "vaelab_input_error")
  expect_error(image_shape_of("vae"), class = "vaelab_error")
})

test_that("build_dfc_vae() takes its image shape from the perceptual model", {
  skip_if_no_vaelab()
  features <- tiny_perceptual_model(c(64, 64, 3))
  dfc <- build_dfc_vae(features, latent_dim = 4, seed = 1)
  expect_identical(image_shape_of(dfc), c(64L, 64L, 3L))
  expect_identical(image_shape_of(build_dfc_vae(features, latent_dim = 4,
                                                input_shape = c(64, 64, 3))),
                   c(64L, 64L, 3L))
  expect_error(build_dfc_vae(features, input_shape = c(32, 32, 3)),
               paste("input_shape: 32 x 32 x 3 differs from the perceptual model's input shape",
                     "64 x 64 x 3"),
               class = "vaelab_ValueError")
})

test_that("precision = 'bfloat16' computes the bulk in bfloat16 and the loss in float32", {
  skip_if_no_vaelab()
  vae <- build_vae(latent_dim = 2, seed = 1, precision = "bfloat16")
  decoder <- vae$get_layer("decoder")
  expect_identical(decoder$layers[[2]]$dtype_policy$name, "mixed_bfloat16")
  expect_identical(vae$get_layer("variational")$dtype_policy$name, "float32")
  x <- array(runif(32 * 28 * 28), c(32, 28, 28, 1))
  expect_true(all(is.finite(train_vae(vae, x, epochs = 1, batch_size = 16,
                                      verbose = FALSE)$loss)))
  expect_error(build_vae(precision = "float16"), "precision: expected one of",
               class = "vaelab_ValueError")
})
