# Draw into a throwaway PNG and return what the plot function returned.
draw <- function(code) {
  path <- tempfile(fileext = ".png")
  grDevices::png(path, width = 600, height = 400)
  on.exit(unlink(path))
  value <- tryCatch(force(code), finally = grDevices::dev.off())
  expect_gt(file.size(path), 1000)
  value
}

test_that("plot_images() and plot_interpolations() draw rows of images", {
  skip_if_no_vaelab()
  x <- random_images(4)
  rows <- draw(plot_images(list(original = x, darker = x / 2), titles = 1:4))
  expect_length(rows, 2)
  expect_identical(rows[[2]], x / 2)
  draw(plot_interpolations(list("a -> b" = x)))
  expect_error(plot_images(list(a = "x")), "rows\\[\\[1\\]\\]: expected a numeric array")
})

test_that("plot_manifold() draws the tiled grid", {
  skip_if_no_vaelab()
  grid <- latent_grid(build_vae(latent_dim = 2, seed = 1), n = 4)
  image <- draw(plot_manifold(grid))
  expect_identical(image, tile_grid(grid))
})

test_that("plot_latent_scatter() checks the dimensions", {
  skip_if_no_vaelab()
  set.seed(1)
  z <- matrix(rnorm(300), ncol = 3)
  expect_identical(draw(plot_latent_scatter(z, rep(0:9, 10), dims = c(3, 1))), z)
  expect_error(plot_latent_scatter(z, rep(0:9, 10), dims = c(1, 4)), "dimensions in 1..3")
  expect_error(plot_latent_scatter(z, 1:3), "expected 100 labels")
})

test_that("the Laplacian plots draw per class and per group", {
  skip_if_no_vaelab()
  x <- random_images(30)
  labels <- rep(0:9, 3)
  values <- draw(plot_laplacian_boxplot(x, labels))
  expect_identical(values, laplacian_variance(x))
  blur <- list(original = values, half = laplacian_variance(x / 2))
  expect_identical(draw(plot_laplacian_histograms(blur, labels, bins = 5)), blur)
  draw(plot_laplacian_histograms(blur, rep(0, 30)))
  expect_error(plot_laplacian_histograms(values, labels), "blur: expected named sets of values",
               class = "vaelab_ValueError")
  expect_error(plot_laplacian_histograms(list(a = values[-1]), labels), "expected 30 values")
})

test_that("plot_edit_rows() draws one row per image", {
  skip_if_no_vaelab()
  edits <- array(runif(2 * 3 * 28 * 28), c(2, 3, 28, 28, 1))
  grDevices::pdf(NULL)
  on.exit(grDevices::dev.off())
  expect_identical(plot_edit_rows(edits, column_titles = c(-1, 0, 1), row_names = c("a", "b")),
                   edits)
  expect_error(plot_edit_rows(edits[1, , , , ]), "edits: expected shape n x m x 28",
               class = "vaelab_ValueError")
})
