# The book's way: assemble a VAE from R, layer by layer.
book_vae <- function(latent_dim = 2L) {
  keras <- reticulate::import("keras")
  encoder <- build_encoder(latent_dim)
  decoder <- build_decoder(latent_dim)
  input_img <- keras$Input(shape = c(28L, 28L, 1L))
  z_params <- encoder(input_img)
  z <- layer_sampling(list(z_params[[1]], z_params[[2]]), seed = 1)
  z_decoded <- decoder(z)
  y <- layer_variational(list(input_img, z_decoded, z_params[[1]], z_params[[2]]),
                         recipe = "book")
  vae <- keras$Model(input_img, y, name = "vae")
  vae$compile(optimizer = "rmsprop")
  vae
}

test_that("a VAE assembled from R with layer_variational() trains and encodes", {
  skip_if_no_vaelab()
  vae <- book_vae()
  history <- train_vae(vae, random_images(32), epochs = 1, batch_size = 16, verbose = FALSE)
  expect_true(is.finite(history$loss))
  expect_identical(dim(encode(vae, random_images(2))), c(2L, 2L))
})

test_that("without an input the layers are returned, with their settings", {
  skip_if_no_vaelab()
  layer <- layer_variational(recipe = "book", name = "loss_layer")
  expect_s3_class(layer, "vaelab.layers.VariationalLayer")
  expect_identical(layer$name, "loss_layer")
  expect_identical(layer$recipe, "book")
  expect_identical(layer_sampling(seed = 7)$seed, 7L)
})

test_that("the layers check their inputs", {
  skip_if_no_vaelab()
  expect_error(layer_variational(list(1, 2)), "list\\(x, x_decoded, z_mean, z_log_var\\)",
               class = "vaelab_input_error")
  expect_error(layer_sampling(list()), "list\\(z_mean, z_log_var\\)")
  expect_error(layer_variational(recipe = "mean"), "recipe: expected one of",
               class = "vaelab_ValueError")
})

test_that("layer_variational() takes the likelihood of the reconstruction term", {
  skip_if_no_vaelab()
  expect_identical(layer_variational()$likelihood, "bernoulli")
  expect_identical(layer_variational(likelihood = "gaussian", recipe = "book")$likelihood,
                   "gaussian")
  expect_error(layer_variational(likelihood = "poisson"), "likelihood: expected one of",
               class = "vaelab_ValueError")
  # The Gaussian term is half the squared error, summed over each image's pixels ("elbo").
  keras <- reticulate::import("keras")
  x <- array(0, c(2, 2, 2, 1))
  decoded <- x
  decoded[1, 1, 1, 1] <- 1
  decoded[1, 2, 2, 1] <- 0.5
  decoded[2, 1, 2, 1] <- 0.2
  term <- layer_variational(likelihood = "gaussian")$reconstruction(
    list(reticulate::np_array(x, "float32"), reticulate::np_array(decoded, "float32")))
  expect_equal(as.double(keras$ops$convert_to_numpy(term)), c(0.5 * 1.25, 0.5 * 0.04),
               tolerance = 1e-6)
})
