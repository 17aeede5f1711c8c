test_that("build_cvae() and train_cvae() train a conditional VAE from R", {
  skip_if_no_vaelab()
  x <- random_images(32)
  y <- rep(0:7, 4)
  cvae <- build_cvae(latent_dim = 2, seed = 1)
  history <- train_cvae(cvae, x, y, epochs = 2, batch_size = 16, seed = 1,
                        validation_data = list(x[1:8, , , , drop = FALSE], y[1:8]),
                        verbose = FALSE)
  expect_s3_class(history, "data.frame")
  expect_identical(names(history), c("epoch", "loss", "reconstruction_loss", "kl_loss",
                                     "val_loss", "val_reconstruction_loss", "val_kl_loss"))
  expect_identical(history$epoch, 1:2)
  expect_error(train_cvae(cvae, x, y[1:5], epochs = 1, verbose = FALSE),
               "labels: expected 32 labels", class = "vaelab_input_error")
  expect_error(train_cvae(cvae, x, y, validation_data = x, verbose = FALSE),
               "validation_data: expected list\\(images, labels\\)")
})

test_that("conditional encode, decode and generate agree with Python", {
  skip_if_no_vaelab()
  cvae <- build_cvae(latent_dim = 3, seed = 2)
  x <- random_images(4)
  y <- c(1, 4, 7, 9)
  z <- encode_conditional(cvae, x, y)
  expect_identical(dim(z), c(4L, 3L))
  expect_identical(z, py_vaelab()$encode_conditional(
    cvae, reticulate::np_array(x, dtype = "float32"), array(as.integer(y))))
  images <- decode_conditional(cvae, z, y)
  expect_identical(dim(images), c(4L, 28L, 28L, 1L))
  expect_equal(reconstruct_conditional(cvae, x, y), images, tolerance = 1e-6)
  # One latent vector and one label still make a batch of one.
  expect_identical(dim(decode_conditional(cvae, z[1, ], 3)), c(1L, 28L, 28L, 1L))
  generated <- generate_conditional(cvae, c(3, 3), seed = 5)
  expect_identical(generated, py_vaelab()$sample_conditional(cvae, list(3L, 3L), seed = 5L))
  expect_error(encode_conditional(build_vae(latent_dim = 3), x, y), "is not conditional",
               class = "vaelab_ValueError")
  expect_error(encode_conditional(cvae, x, c(1, 2, 3, 10)), "digit labels 0..9",
               class = "vaelab_input_error")
})

test_that("style_transfer() returns n x targets x 28 x 28 x 1 in R's index order", {
  skip_if_no_vaelab()
  cvae <- build_cvae(latent_dim = 2, seed = 3)
  x <- random_images(2)
  out <- style_transfer(cvae, x, 7, 0:9)
  expect_identical(dim(out), c(2L, 10L, 28L, 28L, 1L))
  z <- encode_conditional(cvae, x, c(7, 7))
  expect_equal(out[2, 4, , , 1], decode_conditional(cvae, z[2, ], 3)[1, , , 1],
               tolerance = 1e-6)
  expect_identical(dim(style_transfer(cvae, x[1, , , ], 7, 5)), c(1L, 1L, 28L, 28L, 1L))
  expect_error(style_transfer(cvae, x, c(1, 2, 3), 0), "source_label: expected 1 or 2 labels",
               class = "vaelab_input_error")
  expect_error(style_transfer(cvae, x, 7, integer(0)), "target_label: expected at least one")
})

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
  expect_error(build_vaegan(gamma = NA), "gamma: expected one finite number",
               class = "vaelab_input_error")
  expect_identical(build_vaegan(latent_dim = 2, beta = 3)$beta, 3)
  expect_error(build_vaegan(learning_rates = c(1, 2)), "learning_rates: expected 3 values",
               class = "vaelab_input_error")
})

test_that("compare_sharpness() and generation_accuracy() return R structures", {
  skip_if_no_vaelab()
  x <- random_images(20)
  y <- rep(0:9, 2)
  clf <- build_perceptual_model(seed = 1)
  gan <- build_vaegan(latent_dim = 2, conditional = TRUE, seed = 2)
  acc <- generation_accuracy(gan, clf, n_per_class = 2, seed = 1)
  expect_named(acc, c("overall", "per_class"))
  expect_named(acc$per_class, as.character(0:9))
  expect_equal(acc$overall, mean(acc$per_class))
  result <- compare_sharpness(list("plain VAE" = build_vae(latent_dim = 2, seed = 1),
                                   "VAE-GAN" = gan), clf, x, y)
  expect_identical(dimnames(result$mean_laplacian_variance),
                   list(c("digits other than 1", "digit 1"),
                        c("original", "plain VAE", "VAE-GAN")))
  expect_equal(result$mean_laplacian_variance["digit 1", "original"],
               mean(laplacian_variance(x)[y == 1]))
  expect_s3_class(result$tests, "data.frame")
  expect_identical(nrow(result$tests), 6L)
  expect_named(result$classifier_accuracy, c("original", "plain VAE", "VAE-GAN"))
  expect_error(compare_sharpness(list(gan), clf, x, y), "models: expected a named list",
               class = "vaelab_input_error")
})

test_that("ink_mass() and slant() measure known images", {
  skip_if_no_vaelab()
  bar <- matrix(0, 28, 28)
  for (r in 5:24) bar[r, round(14 + 0.5 * (15 - r)) + 0:1] <- 1
  expect_equal(ink_mass(bar), 40)
  expect_equal(slant(bar), 0.5, tolerance = 0.05)
  expect_equal(slant(bar[, 28:1]), -0.5, tolerance = 0.05)
  expect_error(slant(array(0, c(1, 28, 28, 1))), "have no ink", class = "vaelab_ValueError")
})

test_that("attribute_vector() and apply_attribute() move along the mean difference", {
  skip_if_no_vaelab()
  vae <- build_vae(latent_dim = 2, seed = 1)
  x <- random_images(10)
  has <- rep(c(TRUE, FALSE), 5)
  z <- encode(vae, x)
  v <- attribute_vector(vae, x, has)
  expect_equal(v, colMeans(z[has, ]) - colMeans(z[!has, ]), tolerance = 1e-5)
  edits <- apply_attribute(vae, x[1:3, , , , drop = FALSE], v, c(0, 1.5))
  expect_identical(dim(edits), c(3L, 2L, 28L, 28L, 1L))
  expect_equal(edits[2, 2, , , 1], decode(vae, z[2, ] + 1.5 * v)[1, , , 1], tolerance = 1e-5)
  expect_error(attribute_vector(vae, x, has[1:4]), "has_attribute: expected 10 TRUE/FALSE",
               class = "vaelab_input_error")
  expect_error(attribute_vector(vae, x, rep(TRUE, 10)), "both with and without",
               class = "vaelab_ValueError")
  cvae <- build_cvae(latent_dim = 2, seed = 1)
  expect_error(attribute_vector(cvae, x, has), "is conditional; pass the digit labels",
               class = "vaelab_ValueError")
  expect_length(attribute_vector(cvae, x, has, labels = rep(0:4, 2)), 2)
})

test_that("plot_edit_rows() draws one row per image", {
  skip_if_no_vaelab()
  edits <- array(runif(2 * 3 * 28 * 28), c(2, 3, 28, 28, 1))
  grDevices::pdf(NULL)
  on.exit(grDevices::dev.off())
  expect_identical(plot_edit_rows(edits, column_titles = c(-1, 0, 1), row_names = c("a", "b")),
                   edits)
  expect_error(plot_edit_rows(edits, row_names = c("a", "a")),
               "row_names: expected 2 different names", class = "vaelab_input_error")
  expect_error(plot_edit_rows(edits[1, , , , ]), "edits: expected an array n x m x 28",
               class = "vaelab_input_error")
})

test_that("the shipped conditional VAE-GAN redraws a 7 as every digit", {
  skip_if_no_pretrained("cvaegan")
  skip_if_no_mnist()
  test <- mnist_test()
  sevens <- test$x[test$y == 7, , , , drop = FALSE][1:10, , , , drop = FALSE]
  out <- style_transfer(load_pretrained("cvaegan"), sevens, 7, 0:9)
  flat <- array(aperm(out, c(2, 1, 3, 4, 5)), c(100, 28, 28, 1))
  predicted <- predict_digits(load_pretrained("classifier"), flat)
  expect_gt(mean(predicted == rep(0:9, 10)), 0.85)
})
