#' Blur of each image: the variance of its Laplacian
#'
#' The Laplacian (3 x 3 aperture, reflected border) responds to edges; the
#' variance of its values over an image is high for sharp images and low for
#' blurry ones. It matches OpenCV's `cv2.Laplacian(img, cv2.CV_32F).var()`,
#' the article's measure, image by image. Images may have any size; colour
#' images are measured on their luminance (BT.601 weights, as OpenCV's
#' `cv2.cvtColor(img, cv2.COLOR_RGB2GRAY)`), since blur is a matter of edges,
#' which the three channels share.
#'
#' @param images An array `n x height x width x channels` (1 or 3 channels;
#'   grey images may leave out the last extent) with values in `[0, 1]`.
#' @return A numeric vector, one value per image.
#' @export
#' @examplesIf vaelab_available()
#' flat <- array(0.5, c(1, 28, 28, 1))
#' stripes <- array(rep(c(0, 1), length.out = 28), c(28, 28, 1))
#' laplacian_variance(flat)
#' laplacian_variance(stripes)
#' faces <- synthetic_faces(2, seed = 1)
#' laplacian_variance(faces$images)
laplacian_variance <- function(images) {
  as.double(vaelab_call("laplacian_variance", images = as_images(images)))
}

#' How well a classifier recognises images
#'
#' `predict_digits()` gives the most probable digit per image;
#' `classifier_accuracy()` the fraction labelled correctly, e.g. the
#' perceptual model on reconstructions.
#'
#' @param classifier A Keras classifier such as `load_pretrained("classifier")`.
#' @param images An array `n x height x width x channels` of the classifier's
#'   image shape ([image_shape_of()]), e.g. `n x 28 x 28 x 1`, with values in
#'   `[0, 1]`.
#' @param labels Their digit labels 0 to 9.
#' @return `classifier_accuracy()`: a number in `[0, 1]`. `predict_digits()`:
#'   an integer vector.
#' @export
#' @examplesIf vaelab_available()
#' clf <- build_perceptual_model(seed = 1)
#' x <- array(runif(4 * 28 * 28), c(4, 28, 28, 1))
#' predict_digits(clf, x)
#' classifier_accuracy(clf, x, c(0, 1, 2, 3))
classifier_accuracy <- function(classifier, images, labels) {
  vaelab_call("classifier_accuracy", classifier = as_model(classifier, "classifier"),
              images = as_images(images), labels = as_labels(labels))
}

#' @rdname classifier_accuracy
#' @export
predict_digits <- function(classifier, images) {
  as.integer(vaelab_call("predict_digits", classifier = as_model(classifier, "classifier"),
                         images = as_images(images)))
}

#' Reconstruction error
#'
#' Mean per-pixel binary cross-entropy and mean squared error between images
#' and their reconstructions.
#'
#' @param images,reconstructions Arrays `n x height x width x channels` of
#'   the same size, e.g. `n x 28 x 28 x 1` or `n x 64 x 64 x 3`.
#' @return A list with `bce` and `mse`.
#' @export
#' @examplesIf vaelab_available()
#' x <- array(runif(2 * 28 * 28), c(2, 28, 28, 1))
#' reconstruction_errors(x, x)
reconstruction_errors <- function(images, reconstructions) {
  vaelab_call("reconstruction_errors", images = as_images(images),
              reconstructions = as_images(reconstructions, "reconstructions"))
}
