test_that("load_mnist() returns R arrays n x 28 x 28 x 1 and integer labels", {
  skip_if_no_mnist()
  test <- mnist_test()
  expect_identical(dim(test$x), c(10000L, 28L, 28L, 1L))
  expect_type(test$x, "double")
  expect_identical(range(test$x), c(0, 1))
  expect_type(test$y, "integer")
  expect_null(dim(test$y))
  expect_identical(as.vector(table(test$y)),
                   c(980L, 1135L, 1032L, 1010L, 982L, 892L, 958L, 1028L, 974L, 1009L))
})

test_that("load_mnist() keeps Python's pixels at their indices", {
  skip_if_no_mnist()
  test <- mnist_test()
  data <- py_vaelab(convert = FALSE)$load_mnist()
  x_py <- reticulate::py_get_item(reticulate::py_get_item(data, 1L), 0L)
  # Python's x_test[0, 6:9, 10:13, 0] is R's x[1, 7:9, 11:13, 1].
  corner <- reticulate::py_eval("lambda x: x[0, 6:9, 10:13, 0].astype('float64')")
  window <- corner(x_py)
  expect_identical(window, test$x[1, 7:9, 11:13, 1])
})

test_that("load_mnist() checks its arguments and reports a missing folder", {
  expect_error(load_mnist(download = "yes"), "download: expected TRUE or FALSE")
  skip_if_no_vaelab()
  expect_error(load_mnist(splits = "validation"), "splits: expected", class = "vaelab_ValueError")
  err <- tryCatch(load_mnist(path = tempfile("nothing-here")), error = identity)
  expect_s3_class(err, "vaelab_FileNotFoundError")
  expect_match(conditionMessage(err), "MNIST not found at path=")
})

test_that("load_cifar10() returns R arrays n x 32 x 32 x 3 from the official batches", {
  skip_if_no_vaelab()
  folder <- write_cifar_batches(tempfile("cifar"))
  data <- load_cifar10(folder, verify = FALSE)
  expect_identical(dim(data$train$x), c(10L, 32L, 32L, 3L))
  expect_identical(data$test$y, c(6L, 1L))
  # Image 3 is data_batch_2's first: red 20, green and blue 0.
  expect_equal(data$train$x[3, 1, 1, ], c(20 / 255, 0, 0), tolerance = 1e-6)
})

test_that("load_cifar10() and load_fashion_mnist() give classed errors", {
  skip_if_no_vaelab()
  folder <- write_cifar_batches(tempfile("cifar"))
  expect_error(load_cifar10(folder, splits = "test"), "md5 .* is not that of the official",
               class = "vaelab_ValueError")
  writeBin(charToRaw("garbage"), file.path(folder, "test_batch"))
  expect_error(load_cifar10(folder, splits = "test", verify = FALSE),
               "test_batch: not a CIFAR-10 batch", class = "vaelab_ValueError")
  expect_error(load_cifar10(tempfile("nothing")), "CIFAR-10 not found at path=",
               class = "vaelab_FileNotFoundError")
  expect_error(load_fashion_mnist(tempfile("nothing")), "Fashion-MNIST not found at path=",
               class = "vaelab_FileNotFoundError")
  expect_error(load_fashion_mnist(verify = NA), "verify: contains NA",
               class = "vaelab_input_error")
  expect_error(load_fashion_mnist(verify = "yes"), "verify: expected TRUE or FALSE",
               class = "vaelab_ValueError")
})

test_that("load_fashion_mnist() refuses MNIST's files in place of its own", {
  skip_if_no_mnist()
  expect_error(load_fashion_mnist(Sys.getenv("VAELAB_DATA"), splits = "test"),
               "matches no known version", class = "vaelab_ValueError")
})
