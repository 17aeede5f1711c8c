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

# The weights of a model as one vector, to see that training changed them.
all_weights <- function(model) unlist(lapply(model$get_weights(), as.vector))

test_that("train_vae() passes distribution on: \"all\" trains the model, a typo is refused", {
  skip_if_no_vaelab()
  vae <- build_vae(latent_dim = 2, seed = 1)
  before <- all_weights(vae)
  # The tests' Python has one device, where "all" trains as one device does.
  history <- train_vae(vae, random_images(16), epochs = 1, batch_size = 8, verbose = FALSE,
                       distribution = "all")
  expect_true(all(is.finite(history$loss)))
  expect_false(identical(all_weights(vae), before))
  expect_error(train_vae(vae, random_images(4), epochs = 1, distribution = "al"),
               "distribution: expected NULL", class = "vaelab_ValueError")
  expect_error(train_cvae(build_cvae(latent_dim = 2), random_images(4), 0:3, epochs = 1,
                          distribution = 3), "distribution: expected", class = "vaelab_ValueError")
  expect_error(train_vae(vae, random_images(4), distribution = NA), "distribution: contains NA",
               class = "vaelab_input_error")
})

test_that("a 32 x 32 x 3 VAE trains from R on CIFAR-10's official batch files", {
  skip_if_no_vaelab()
  cifar <- load_cifar10(write_cifar_batches(tempfile("cifar")), verify = FALSE)
  vae <- build_vae(latent_dim = 4, input_shape = c(32, 32, 3), likelihood = "gaussian",
                   seed = 1, jit_compile = FALSE)
  before <- all_weights(vae)
  history <- train_vae(vae, cifar$train$x, epochs = 1, batch_size = 5,
                       validation_data = cifar$test$x, seed = 1, verbose = FALSE)
  expect_identical(nrow(history), 1L)
  expect_true(all(is.finite(unlist(history))))
  expect_false(identical(all_weights(vae), before))
  expect_identical(dim(reconstruct(vae, cifar$test$x)), c(2L, 32L, 32L, 3L))
})

test_that("a 64 x 64 x 3 DFC VAE trains on faces from load_celeba(), in R or streamed", {
  skip_if_no_vaelab()
  root <- write_celeba_layout(tempfile("celeba"), 12, seed = 2)
  dfc <- build_dfc_vae(tiny_perceptual_model(c(64, 64, 3)), latent_dim = 4, seed = 1,
                       jit_compile = FALSE)
  faces <- load_celeba(root, size = 64, split = "all")
  before <- all_weights(dfc)
  # The loader's list as it is, its images used.
  history <- train_vae(dfc, faces, epochs = 1, batch_size = 6, validation_data = faces,
                       verbose = FALSE)
  expect_true(all(is.finite(unlist(history))))
  expect_named(history, c("epoch", "loss", "reconstruction_loss", "kl_loss", "val_loss",
                          "val_reconstruction_loss", "val_kl_loss"))
  trained <- all_weights(dfc)
  expect_false(identical(trained, before))
  # Streamed: Python's ImageFiles, read from disk one batch at a time.
  streamed <- load_celeba(root, size = 64, split = "all", stream = TRUE)
  expect_s3_class(streamed, "vaelab.datasets.ImageFiles")
  expect_identical(reticulate::py_len(streamed), 12L)
  history <- train_vae(dfc, streamed, epochs = 1, batch_size = 6, validation_data = streamed,
                       verbose = FALSE)
  expect_true(all(is.finite(unlist(history))))
  expect_identical(names(history)[1:4], c("epoch", "loss", "reconstruction_loss", "kl_loss"))
  expect_false(identical(all_weights(dfc), trained))
})

test_that("a 64 x 64 x 3 DFC VAE trains on a folder of images from load_image_folder()", {
  skip_if_no_vaelab()
  folder <- file.path(write_celeba_layout(tempfile("celeba"), 8, seed = 3), "img_align_celeba")
  dfc <- build_dfc_vae(tiny_perceptual_model(c(64, 64, 3)), latent_dim = 4, seed = 1,
                       jit_compile = FALSE)
  before <- all_weights(dfc)
  photos <- load_image_folder(folder, size = 64)
  expect_identical(dim(photos$images), c(8L, 64L, 64L, 3L))
  expect_true(all(is.finite(unlist(train_vae(dfc, photos, epochs = 1, batch_size = 4,
                                             verbose = FALSE)))))
  streamed <- load_image_folder(folder, size = 64, stream = TRUE)
  expect_true(all(is.finite(unlist(train_vae(dfc, streamed, epochs = 1, batch_size = 4,
                                             verbose = FALSE)))))
  expect_false(identical(all_weights(dfc), before))
})

test_that("images of the wrong shape are a classed error naming the model's shape in R's words", {
  skip_if_no_vaelab()
  vae <- build_vae(latent_dim = 2, input_shape = c(64, 64, 3), name = "faces")
  expect_error(train_vae(vae, random_images(4), epochs = 1),
               "images: expected shape n x 64 x 64 x 3 for model 'faces', got 4 x 28 x 28 x 1",
               class = "vaelab_ValueError")
  expect_error(train_vae(vae, array(0.5, c(4, 64, 64, 3)), epochs = 1,
                         validation_data = array(0.5, c(2, 64, 64, 1))),
               "validation_data: expected shape n x 64 x 64 x 3", class = "vaelab_ValueError")
  root <- write_celeba_layout(tempfile("celeba"), 4, seed = 1)
  expect_error(train_vae(vae, load_celeba(root, size = 32, split = "all", stream = TRUE)),
               paste0("images: the files are read as images of shape 32 x 32 x 3, but model ",
                      "'faces' expects 64 x 64 x 3; load them with size = c\\(64, 64\\) and ",
                      "channels = 3"),
               class = "vaelab_ValueError")
  expect_error(load_celeba(root, stream = TRUE, n = 2), "n: with stream = TRUE",
               class = "vaelab_input_error")
  expect_error(load_image_folder(root, stream = NA), "stream: expected TRUE or FALSE",
               class = "vaelab_input_error")
})
