test_that("attaching vaelab does not start Python; the first call does", {
  skip_if_no_vaelab()
  out <- run_r(c("cat('before', reticulate::py_available(), '\\n')",
                 "invisible(grid_values(3))",
                 "cat('after', reticulate::py_available(), '\\n')"))
  expect_true(any(grepl("before FALSE", out)))
  expect_true(any(grepl("after TRUE", out)))
})

test_that("the Python module is a delayed import until first use", {
  expect_s3_class(vaelab:::vaelab_py, "python.builtin.module")
})
