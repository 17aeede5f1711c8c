test_that("available_pretrained() lists shipped models by name", {
  skip_if_no_vaelab()
  shipped <- available_pretrained()
  expect_type(shipped, "character")
  known <- unlist(reticulate::import("vaelab.pretrained")$PRETRAINED)
  expect_true(all(shipped %in% known))
  err <- tryCatch(load_pretrained("gan"), error = identity)
  expect_s3_class(err, "vaelab_ValueError")
  expect_match(conditionMessage(err), "no pretrained model 'gan'")
  expect_error(load_pretrained(c("vae", "dfc_vae")), class = "vaelab_error")
  entries <- manifest()
  expect_identical(sort(names(entries)), sort(shipped))
  for (name in shipped) {
    expect_match(entries[[name]]$sha256, "^[0-9a-f]{64}$")
  }
})

test_that("the same pretrained model encodes the same test images identically in R and Python", {
  skip_if_no_pretrained("vae")
  skip_if_no_mnist()
  vae <- load_pretrained("vae")
  x <- mnist_test()$x[1:500, , , , drop = FALSE]
  z_r <- encode(vae, x)
  # Python reads MNIST itself and encodes its own float32 array with its own model.
  python <- reticulate::py_run_string(paste(
    "import vaelab",
    "_, (x_test, y_test) = vaelab.load_mnist()",
    "z = vaelab.encode(vaelab.load_pretrained('vae'), x_test[:500])",
    sep = "\n"), local = TRUE)
  expect_identical(z_r, python$z)
})

test_that("the pretrained classifier recognises the test digits", {
  skip_if_no_pretrained("classifier")
  skip_if_no_mnist()
  test <- mnist_test()
  expect_gt(classifier_accuracy(load_pretrained("classifier"), test$x[1:1000, , , , drop = FALSE],
                                test$y[1:1000]), 0.97)
})
