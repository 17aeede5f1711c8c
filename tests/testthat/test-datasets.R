# Image files written by Pillow, as a user's would be.
save_image <- function(path, value, height = 24, width = 24) {
  dir.create(dirname(path), showWarnings = FALSE, recursive = TRUE)
  np <- reticulate::import("numpy", convert = FALSE)
  pixels <- np$full(list(as.integer(height), as.integer(width), 3L), as.integer(value),
                    dtype = "uint8")
  reticulate::import("PIL.Image")$fromarray(pixels)$save(path)
  path
}

# A tiny CelebA tree from the synthetic faces (a stand-in for CelebA).
celeba_tree <- function(n = 10) {
  write_celeba_layout(tempfile("celeba"), n, seed = 4)
}

test_that("load_image_folder() labels images by their sub-folder", {
  skip_if_no_vaelab()
  root <- tempfile("pets")
  save_image(file.path(root, "cats", "a.png"), 10)
  save_image(file.path(root, "dogs", "b.jpg"), 200)
  save_image(file.path(root, "dogs", "c.png"), 250)
  pets <- load_image_folder(root, size = c(8, 12))
  expect_identical(dim(pets$images), c(3L, 8L, 12L, 3L))
  expect_identical(pets$labels, factor(c("cats", "dogs", "dogs")))
  expect_identical(basename(pets$files), c("a.png", "b.jpg", "c.png"))
  expect_equal(pets$images[, 1, 1, 1], c(10, 200, 250) / 255, tolerance = 3 / 255)
  gray <- load_image_folder(file.path(root, "dogs"), size = 4, channels = 1, n = 1)
  expect_identical(dim(gray$images), c(1L, 4L, 4L, 1L))
  expect_null(gray$labels)
})

test_that("an image that cannot be decoded is a classed error naming it, or skipped", {
  skip_if_no_vaelab()
  root <- tempfile("pets")
  save_image(file.path(root, "cats", "a.png"), 10)
  save_image(file.path(root, "dogs", "c.png"), 250)
  writeBin(charToRaw("not a png"), file.path(root, "cats", "b.png"))
  expect_error(load_image_folder(root, size = 8), "b\\.png: cannot be decoded as an image",
               class = "vaelab_ValueError")
  expect_warning(pets <- load_image_folder(root, size = 8, skip_unreadable = TRUE),
                 "skipped 1 unreadable image\\(s\\) of 3")
  expect_identical(pets$labels, factor(c("cats", "dogs")))
  expect_identical(basename(pets$files), c("a.png", "c.png"))
  expect_identical(dim(pets$images)[1], 2L)
})

test_that("load_image_folder() reports a missing, empty or mixed folder", {
  skip_if_no_vaelab()
  expect_error(load_image_folder(tempfile("nowhere")), "image folder not found",
               class = "vaelab_FileNotFoundError")
  empty <- tempfile("empty")
  dir.create(empty)
  expect_error(load_image_folder(empty), "no image files", class = "vaelab_FileNotFoundError")
  mixed <- tempfile("mixed")
  save_image(file.path(mixed, "loose.png"), 0)
  save_image(file.path(mixed, "class", "in.png"), 0)
  expect_error(load_image_folder(mixed), "holds both image files", class = "vaelab_ValueError")
})

test_that("the loaders' arguments are checked by Python, in R's words", {
  skip_if_no_vaelab()
  expect_error(load_image_folder(tempdir(), size = 0), "size: expected a positive whole number",
               class = "vaelab_ValueError")
  expect_error(load_image_folder(tempdir(), channels = 2), "channels: expected 1",
               class = "vaelab_ValueError")
  expect_error(load_celeba(tempdir(), crop = c(1, 2)), "crop: expected NULL, \"centre\"",
               class = "vaelab_ValueError")
  expect_error(load_celeba(tempdir(), split = "validation"), "split: expected \"train\"",
               class = "vaelab_ValueError")
  expect_error(load_celeba(NA), "path: contains NA", class = "vaelab_input_error")
  expect_error(load_celeba(tempdir(), n = 0), "n: expected NULL or one whole number",
               class = "vaelab_input_error")
})

test_that("load_celeba() returns images, a data.frame of attributes and the files", {
  skip_if_no_vaelab()
  root <- celeba_tree()
  train <- load_celeba(root, size = 32)
  expect_identical(dim(train$images), c(8L, 32L, 32L, 3L))
  expect_s3_class(train$attributes, "data.frame")
  expect_identical(rownames(train$attributes), basename(train$files))
  expect_true(all(unlist(train$attributes) %in% c(-1L, 1L)))
  expect_identical(nrow(load_celeba(root, split = "test")$attributes), 1L)
  expect_identical(dim(load_celeba(root, split = "all", n = 3)$images)[1], 3L)
})

test_that("load_celeba() names the file at fault", {
  skip_if_no_vaelab()
  expect_error(load_celeba(tempfile("nowhere")), "CelebA folder not found",
               class = "vaelab_FileNotFoundError")
  root <- celeba_tree()
  attr_file <- file.path(root, "list_attr_celeba.txt")
  lines <- readLines(attr_file)
  writeLines(c("11", lines[-1]), attr_file)
  expect_error(load_celeba(root), "list_attr_celeba\\.txt: line 1 announces 11 images",
               class = "vaelab_ValueError")
  writeLines(c(lines[1:3], sub(" 1", " 2", lines[4]), lines[-(1:4)]), attr_file)
  expect_error(load_celeba(root), "list_attr_celeba\\.txt: line 4: expected a file name",
               class = "vaelab_ValueError")
  writeLines(lines, attr_file)
  partition <- file.path(root, "list_eval_partition.txt")
  writeLines(readLines(partition)[-10], partition)
  expect_error(load_celeba(root), "1 of list_attr_celeba\\.txt's are not in",
               class = "vaelab_ValueError")
  root <- celeba_tree()
  file.remove(file.path(root, "img_align_celeba", "000004.jpg"))
  expect_error(load_celeba(root), "1 of the 10 files .* are missing \\(first: 000004\\.jpg\\)",
               class = "vaelab_FileNotFoundError")
  root <- celeba_tree()
  writeBin(charToRaw("not a jpeg"), file.path(root, "img_align_celeba", "000002.jpg"))
  expect_error(load_celeba(root), "000002\\.jpg: cannot be decoded", class = "vaelab_ValueError")
  expect_warning(faces <- load_celeba(root, skip_unreadable = TRUE), "skipped 1 unreadable")
  expect_false("000002.jpg" %in% rownames(faces$attributes))
  expect_identical(nrow(faces$attributes), dim(faces$images)[1])
})
