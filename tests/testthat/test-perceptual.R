test_that("vgg19_perceptual_model() builds VGG19 under the paper's layer names", {
  skip_if_no_vaelab()
  names_of <- function(model) vapply(model$layers, function(layer) layer$name, character(1))
  vgg <- vgg19_perceptual_model(c(32, 32, 3), weights = NULL)
  expect_identical(names_of(vgg), c("image", "imagenet_preprocessing", "relu1_1", "relu1_2",
                                    "pool1", "relu2_1", "relu2_2", "pool2", "relu3_1"))
  expect_identical(vgg$output_shape, list(NULL, 8L, 8L, 256L))
  gray <- vgg19_perceptual_model(c(32, 40, 1), layer_set = "vae-345", weights = NULL)
  expect_identical(tail(names_of(gray), 1), "relu5_1")
  expect_identical(gray$output_shape, list(NULL, 2L, 2L, 512L))
  features <- py_vaelab()$feature_extractor(vgg, c("relu1_1", "relu2_1", "relu3_1"))
  expect_identical(features$output_shape,
                   list(list(NULL, 32L, 32L, 64L), list(NULL, 16L, 16L, 128L),
                        list(NULL, 8L, 8L, 256L)))
})

test_that("vgg19_perceptual_model() refuses what VGG19 cannot take", {
  skip_if_no_vaelab()
  expect_error(vgg19_perceptual_model(c(32, 32, 2), weights = NULL),
               "sides of at least 32 pixels and 1 (gray) or 3 (RGB) channels, got 32 x 32 x 2",
               fixed = TRUE, class = "vaelab_ValueError")
  expect_error(vgg19_perceptual_model(layer_set = "vae-234", weights = NULL),
               "layer_set: expected one of", class = "vaelab_ValueError")
  missing <- file.path(tempdir(), "no-vgg19.h5")
  expect_error(vgg19_perceptual_model(c(32, 32, 3), weights = missing),
               sprintf("weights: no file at '%s'", missing), fixed = TRUE,
               class = "vaelab_FileNotFoundError")
})
