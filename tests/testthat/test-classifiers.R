test_that("an attribute classifier reads named attributes and gives a table of probabilities", {
  skip_if_no_vaelab()
  faces <- synthetic_faces(24, seed = 2, size = 32)
  clf <- build_attribute_classifier(c(32, 32, 3), width = 2, seed = 1)
  expect_identical(attribute_names(clf), names(faces$attributes))
  expect_identical(clf$get_layer("conv2")$filters, 4L)
  p <- attribute_probabilities(clf, faces$images)
  expect_s3_class(p, "data.frame")
  expect_identical(names(p), names(faces$attributes))
  expect_identical(dim(p), c(24L, 6L))
  expected <- py_vaelab()$attribute_probabilities(clf, faces$images)$to_numpy()
  expect_equal(unname(as.matrix(p)), expected, tolerance = 1e-6)
  # Labels that agree with the classifier score 1, columns matched by name.
  agree <- as.data.frame(ifelse(as.matrix(p) > 0.5, 1L, -1L))[, 6:1]
  accuracy <- attribute_accuracy(clf, faces$images, agree)
  expect_identical(names(accuracy), c(names(faces$attributes), "mean"))
  expect_true(all(accuracy == 1))
  flipped <- attribute_accuracy(clf, faces$images, -as.matrix(agree[, 6:1]))
  expect_true(all(flipped == 0))
  one <- build_attribute_classifier(c(16, 16, 1), attributes = "Smiling", width = 2)
  expect_identical(attribute_names(one), "Smiling")
})

test_that("train_attribute_classifier() takes a data.frame of +1/-1 and says what is wrong", {
  skip_if_no_vaelab()
  faces <- synthetic_faces(16, seed = 3, size = 32)
  x <- faces$images
  a <- faces$attributes
  clf <- train_attribute_classifier(x, a[c("Wearing_Hat", "Smiling")], epochs = 1, width = 2,
                                    seed = 1, verbose = FALSE,
                                    validation_data = list(x[1:4, , , ],
                                                           a[1:4, c("Smiling", "Wearing_Hat")]))
  expect_identical(attribute_names(clf), c("Wearing_Hat", "Smiling"))
  expect_error(train_attribute_classifier(x, a[1:15, ], epochs = 1, verbose = FALSE),
               "attributes: expected 16 rows \\(one per image\\), got 15",
               class = "vaelab_ValueError")
  zero_one <- a
  zero_one$Smiling <- as.integer(a$Smiling > 0)
  expect_error(train_attribute_classifier(x, zero_one, epochs = 1, verbose = FALSE),
               "attributes\\[\\[\"Smiling\"\\]\\]: expected \\+1 or -1 .* got 0, 1; 0/1",
               class = "vaelab_ValueError")
  hats <- cbind(a[c("Wearing_Hat", "Smiling")], Bald = 1L)
  expect_error(train_attribute_classifier(x, hats, model = clf, epochs = 1),
               "unknown attribute\\(s\\) \\[\\[\"Bald\"\\]\\]", class = "vaelab_ValueError")
  missing <- a
  missing$Smiling[3] <- NA
  expect_error(train_attribute_classifier(x, missing, epochs = 1),
               "attributes\\[\\[\"Smiling\"\\]\\]: contains NA", class = "vaelab_input_error")
})

test_that("the shipped face models give Python's numbers in R, and the smile vector works", {
  skip_if_no_pretrained("faces_dfc_vae")
  entries <- manifest()
  spec <- entries$faces_dfc_vae$test_faces
  test <- synthetic_faces(spec$n, seed = spec$seed)
  x <- test$images[1:300, , , , drop = FALSE]
  a <- test$attributes[1:300, ]
  evaluator <- load_pretrained("faces_evaluator")
  expect_equal(attribute_accuracy(evaluator, x, a),
               unlist(entries$faces_evaluator$subset_metrics$attribute_accuracy))
  spec <- entries$faces_dfc_vae$vector_faces
  vector_faces <- synthetic_faces(spec$n, seed = spec$seed)
  dfc <- load_pretrained("faces_dfc_vae")
  smile <- attribute_vectors(dfc, vector_faces$images, vector_faces$attributes)$Smiling
  recorded <- entries$faces_dfc_vae$subset_metrics
  effect <- attribute_effect(dfc, evaluator, x[a$Smiling == -1, , , , drop = FALSE], smile,
                             unlist(recorded$strengths), "Smiling")
  expect_equal(effect, unlist(recorded$attribute_effect$Smiling), tolerance = 1e-4)
  expect_true(all(diff(effect) > 0))
})
