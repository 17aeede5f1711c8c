#' Attribute classifiers: read named attributes off face images
#'
#' A small CNN with one sigmoid per attribute (multi-label: a face may smile
#' and wear a hat), trained with binary cross-entropy on CelebA's +1/-1
#' labels. `build_attribute_classifier()` returns it untrained: four 3 x 3
#' convolutions `conv1` to `conv4` (`width`, 2, 4 and 4 times `width` filters),
#' each followed by 2 x 2 max pooling, global average pooling and one sigmoid
#' per attribute. `train_attribute_classifier()` trains a new one (or `model`).
#' `attribute_probabilities()` gives P(attribute) per image,
#' `attribute_accuracy()` how often the classifier reads each attribute right
#' and `attribute_names()` the attributes it reads.
#'
#' The named convolutions make it the perceptual model of a faces DFC VAE
#' ([build_dfc_vae()]). The evaluator that measures a VAE's reconstructions
#' and attribute edits ([attribute_effect()], [evaluate_faces()]) must be
#' another classifier, trained apart with another `width` and `seed`: the DFC
#' VAE learns to reproduce its perceptual model's features, so its images can
#' satisfy that network while showing less to any other. The shipped pair is
#' `load_pretrained("faces_classifier")` and
#' `load_pretrained("faces_evaluator")`.
#'
#' @param input_shape Image height, width and channels; height and width
#'   multiples of 16.
#' @param attributes For `build_attribute_classifier()`, the names of the
#'   attributes (by default the six of [synthetic_faces()]). Otherwise a table
#'   with one row per image and one column per attribute, +1 where the image
#'   has it and -1 where it does not (as [synthetic_faces()] and
#'   [load_celeba()] give it): a data.frame whose column names are the
#'   attributes, or a matrix whose columns follow the classifier's attributes.
#' @param width Filters of `conv1`; the others are multiples of it.
#' @param seed Optional seed for the initial weights.
#' @param name Name of the Keras model.
#' @param images Images, an array `n x height x width x channels` with values
#'   in `[0, 1]`.
#' @param epochs,batch_size Passes over the data, and images per step.
#' @param validation_data Optional `list(images, attributes)` evaluated after
#'   each epoch.
#' @param model An attribute classifier to keep training; `NULL` builds one,
#'   with the image shape of `images`, the columns of `attributes` (a
#'   data.frame) and `width` and `seed`.
#' @param verbose `TRUE` (one line per epoch), `FALSE`, 0, 1, 2 or `"auto"`.
#' @param classifier An attribute classifier.
#' @return `build_attribute_classifier()` and `train_attribute_classifier()`:
#'   a Keras model. `attribute_probabilities()`: a data.frame with one row per
#'   image and one column per attribute. `attribute_accuracy()`: a named
#'   vector, one accuracy per attribute and their `mean`.
#'   `attribute_names()`: a character vector.
#' @export
#' @examplesIf vaelab_available()
#' faces <- synthetic_faces(64, seed = 1, size = 32)
#' clf <- train_attribute_classifier(faces$images, faces$attributes, epochs = 1,
#'                                   width = 4, seed = 1, verbose = FALSE)
#' attribute_names(clf)
#' head(attribute_probabilities(clf, faces$images), 3)
#' attribute_accuracy(clf, faces$images, faces$attributes)
build_attribute_classifier <- function(input_shape = c(64, 64, 3),
                                       attributes = c("Smiling", "Mouth_Slightly_Open",
                                                      "Eyeglasses", "Wearing_Hat", "Pale_Skin",
                                                      "Blond_Hair"),
                                       width = 16, seed = NULL, name = "attribute_classifier") {
  vaelab_call("build_attribute_classifier", input_shape = as_ints(input_shape, "input_shape"),
              attributes = as_tuple(attributes, "attributes"), width = as_int(width, "width"),
              seed = as_optional_int(seed, "seed"), name = as_scalar(name, "name"))
}

#' @rdname build_attribute_classifier
#' @export
train_attribute_classifier <- function(images, attributes, epochs = 5, batch_size = 64,
                                       validation_data = NULL, model = NULL, width = 16,
                                       seed = NULL, verbose = "auto") {
  if (is.list(validation_data) && !is.data.frame(validation_data) &&
        length(validation_data) == 2) {
    validation_data <- list(
      as_images(validation_data[[1]], "validation_data images"),
      as_attribute_table(validation_data[[2]], "validation_data attributes"))
  }
  vaelab_call("train_attribute_classifier", images = as_images(images),
              attributes = as_attribute_table(attributes),
              epochs = as_int(epochs, "epochs"), batch_size = as_int(batch_size, "batch_size"),
              validation_data = validation_data, model = as_optional_model(model, "model"),
              width = as_int(width, "width"), seed = as_optional_int(seed, "seed"),
              verbose = as_verbose(verbose))
}

#' @rdname build_attribute_classifier
#' @export
attribute_probabilities <- function(classifier, images) {
  data_frame(vaelab_call("attribute_probabilities",
                         classifier = as_model(classifier, "classifier"),
                         images = as_images(images)))
}

#' @rdname build_attribute_classifier
#' @export
attribute_accuracy <- function(classifier, images, attributes) {
  unlist(vaelab_call("attribute_accuracy", classifier = as_model(classifier, "classifier"),
                     images = as_images(images), attributes = as_attribute_table(attributes)))
}

#' @rdname build_attribute_classifier
#' @export
attribute_names <- function(classifier) {
  as.character(unlist(vaelab_call("attribute_names",
                                  classifier = as_model(classifier, "classifier"))))
}

# A table of +1/-1 attributes for Python: a data.frame becomes a pandas DataFrame (a dict of
# its columns, each a 1-d array even for one row), a matrix an array. R's NA has no Python
# twin, so it is refused here; every other rule is Python's.
as_attribute_table <- function(attributes, name = "attributes", call = sys.call(sys.parent())) {
  if (!is.data.frame(attributes)) {
    return(as_array(attributes, name, call))
  }
  columns <- lapply(names(attributes), function(column) {
    as_array(attributes[[column]], sprintf("%s[[\"%s\"]]", name, column), call)
  })
  names(columns) <- names(attributes)
  columns
}
