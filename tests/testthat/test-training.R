test_that("train_vae() returns one row per epoch with the loss terms", {
  skip_if_no_vaelab()
  vae <- build_vae(latent_dim = 2, seed = 1)
  history <- train_vae(vae, random_images(64), epochs = 2, batch_size = 32,
                       validation_data = list(random_images(16, seed = 2), NULL),
                       seed = 1, verbose = FALSE)
  expect_s3_class(history, "data.frame")
  expect_named(history, c("epoch", "loss", "reconstruction_loss", "kl_loss", "val_loss",
                          "val_reconstruction_loss", "val_kl_loss"))
  expect_identical(history$epoch, 1:2)
  expect_equal(history$loss, history$reconstruction_loss + history$kl_loss, tolerance = 1e-4)
})

test_that("train_vae() is reproducible with a seed", {
  skip_if_no_vaelab()
  x <- random_images(32)
  run <- function() {
    vae <- build_vae(latent_dim = 2, seed = 5)
    train_vae(vae, x, epochs = 1, batch_size = 8, seed = 5, verbose = FALSE)$loss
  }
  expect_identical(run(), run())
})

test_that("a diverging loss stops training with a classed error", {
  skip_if_no_vaelab()
  keras <- reticulate::import("keras")
  vae <- build_vae(latent_dim = 2, seed = 1, optimizer = keras$optimizers$SGD(learning_rate = 1e12))
  err <- tryCatch(train_vae(vae, random_images(64), epochs = 2, batch_size = 8, verbose = FALSE),
                  error = identity)
  expect_s3_class(err, "vaelab_TrainingDivergedError")
  expect_match(conditionMessage(err), "lower the learning rate")
})

test_that("Python checks train_vae()'s arguments, R refuses NA", {
  skip_if_no_vaelab()
  vae <- build_vae(latent_dim = 2)
  expect_error(train_vae(vae, random_images(2), epochs = 0), "epochs: expected",
               class = "vaelab_ValueError")
  expect_error(train_vae(vae, random_images(2), epochs = NA), "epochs: contains NA",
               class = "vaelab_input_error")
  expect_error(train_vae(vae, random_images(2), validation_data = 1:3), "validation_data",
               class = "vaelab_ValueError")
})
