test_that("synthetic_faces() returns R arrays and +1/-1 attributes, the same as Python's", {
  skip_if_no_vaelab()
  faces <- synthetic_faces(6, seed = 2)
  expect_identical(dim(faces$images), c(6L, 64L, 64L, 3L))
  expect_true(all(faces$images >= 0 & faces$images <= 1))
  expect_identical(names(faces$attributes), c("Smiling", "Mouth_Slightly_Open", "Eyeglasses",
                                              "Wearing_Hat", "Pale_Skin", "Blond_Hair"))
  expect_true(all(unlist(faces$attributes) %in% c(-1L, 1L)))
  expect_identical(synthetic_faces(6, seed = 2), faces)
  py <- reticulate::import("vaelab.faces")$synthetic_faces(6L, seed = 2L)
  expect_equal(faces$images[4, 30, 20, ], as.vector(py[[1]][4, 30, 20, ]))
  expect_identical(dim(synthetic_faces(2, size = 32)$images), c(2L, 32L, 32L, 3L))
})

test_that("synthetic_faces() and write_celeba_layout() check their arguments", {
  skip_if_no_vaelab()
  expect_error(synthetic_faces(0), "n: expected an integer >= 1", class = "vaelab_ValueError")
  expect_error(synthetic_faces(3, size = 4), "size: expected an integer >= 8",
               class = "vaelab_ValueError")
  expect_error(write_celeba_layout(tempfile(), 2, image_format = "gif"),
               "image_format: expected \"jpg\" or \"png\"", class = "vaelab_ValueError")
})

test_that("write_celeba_layout() writes a tree that load_celeba() reads", {
  skip_if_no_vaelab()
  folder <- write_celeba_layout(tempfile("faces"), 10, seed = 3, image_format = "png")
  expect_setequal(list.files(folder), c("img_align_celeba", "list_attr_celeba.txt",
                                        "list_eval_partition.txt"))
  faces <- load_celeba(folder, split = "all")
  drawn <- synthetic_faces(10, seed = 3)
  expect_identical(unname(as.matrix(faces$attributes)), unname(as.matrix(drawn$attributes)))
  expect_lt(mean(abs(faces$images - drawn$images)), 0.02)
})
