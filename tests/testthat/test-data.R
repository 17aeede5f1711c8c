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
