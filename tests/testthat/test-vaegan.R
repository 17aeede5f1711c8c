test_that("build_vaegan() and train_vaegan() run the alternating schedule from R", {
  skip_if_no_vaelab()
  x <- random_images(16)
  gan <- build_vaegan(latent_dim = 2, conditional = TRUE, seed = 1, win_threshold = 0)
  expect_identical(gan$name, "cvaegan")
  expect_identical(gan$get_layer("discriminator")$name, "discriminator")
  history <- train_vaegan(gan, x, rep(0:7, 2), epochs = 1, batch_size = 8, seed = 1,
                          verbose = FALSE)
  expect_identical(names(history), c("epoch", "prior", "feature", "gan", "gan_generator",
                                     "encoder", "decoder", "discriminator_steps",
                                     "generator_steps"))
  expect_identical(history$discriminator_steps, 2)
  expect_true(all(is.finite(as.matrix(history))))
  expect_error(train_vaegan(gan, x, epochs = 1, verbose = FALSE),
               "labels: this VAE-GAN is conditional", class = "vaelab_ValueError")
  expect_error(build_vaegan(gamma = -1), "gamma: expected a non-negative number",
               class = "vaelab_ValueError")
  expect_error(build_vaegan(gamma = NA), "gamma: contains NA", class = "vaelab_input_error")
  expect_identical(build_vaegan(latent_dim = 2, beta = 3)$beta, 3)
  expect_error(build_vaegan(learning_rates = c(1, 2)), "learning_rates: expected three",
               class = "vaelab_ValueError")
})
