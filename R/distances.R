#' How far generated images are from real ones: FID and KID
#'
#' Both compare two *sets* of images through the activations of one layer of a
#' trained network: by default the shipped MNIST classifier's penultimate layer
#' (64 features), since Inception-v3 features mean little for digits. Scores
#' are comparable between models measured with the same network and the same
#' number of images, not with FIDs published for natural images.
#'
#' `frechet_distance()` (FID) fits a Gaussian to each set's features and
#' returns `|mu_r - mu_g|^2 + Tr(S_r + S_g - 2 (S_r S_g)^(1/2))`: 0 for
#' identical sets, and smaller with more images, so compare models on equal
#' numbers. `kernel_inception_distance()` (KID) averages the unbiased squared
#' MMD under the cubic kernel `(x.y / d + 1)^3` over random subsets; it has no
#' such bias and can be slightly negative for alike sets.
#' `image_features()` gives the features both use.
#'
#' @param real,generated Arrays of images `n x 28 x 28 x 1` in `[0, 1]`, or
#'   matrices `n x d` of features already taken.
#' @param features,model A Keras model whose layer gives the features; `NULL`
#'   for `load_pretrained("classifier")`.
#' @param layer A layer name, or its 1-based position in the model's layers;
#'   `NULL` for the layer before the output.
#' @param subsets,subset_size How many random subsets KID averages over, and
#'   their size (smaller when a set is smaller).
#' @param seed Seed for the subsets, or `NULL`.
#' @param images An array of images `n x 28 x 28 x 1`.
#' @param batch_size Images per prediction step.
#' @return `frechet_distance()`: a number. `kernel_inception_distance()`: a
#'   list with `kid`, `std` (the spread over subsets), `standard_error`
#'   (`std / sqrt(subsets)`, optimistic because subsets overlap), `subsets`
#'   and `subset_size`. `image_features()`: a matrix `n x d`.
#' @export
#' @examplesIf vaelab_available() && nzchar(Sys.getenv("VAELAB_DATA"))
#' test <- load_mnist(splits = "test")$test$x[1:1000, , , , drop = FALSE]
#' vae <- load_pretrained("vae")
#' frechet_distance(test, generate(vae, 1000, seed = 1))
#' kernel_inception_distance(test, generate(vae, 1000, seed = 1), subsets = 10, seed = 1)$kid
frechet_distance <- function(real, generated, features = NULL, layer = NULL) {
  vaelab_call("frechet_distance", real = as_feature_input(real, "real"),
              generated = as_feature_input(generated, "generated"),
              features = as_feature_model(features), layer = as_layer(layer))
}

#' @rdname frechet_distance
#' @export
kernel_inception_distance <- function(real, generated, features = NULL, layer = NULL,
                                      subsets = 100, subset_size = 1000, seed = NULL) {
  result <- vaelab_call("kernel_inception_distance", real = as_feature_input(real, "real"),
                        generated = as_feature_input(generated, "generated"),
                        features = as_feature_model(features), layer = as_layer(layer),
                        subsets = as_int(subsets, "subsets"),
                        subset_size = as_int(subset_size, "subset_size"),
                        seed = as_optional_int(seed, "seed"))
  fields <- c("kid", "std", "standard_error", "subsets", "subset_size")
  stats::setNames(lapply(fields, function(field) result[[field]]), fields)
}

#' @rdname frechet_distance
#' @export
image_features <- function(images, model = NULL, layer = NULL, batch_size = 1000) {
  vaelab_call("image_features", images = as_images(images),
              model = as_feature_model(model), layer = as_layer(layer),
              batch_size = as_int(batch_size, "batch_size"))
}

#' FID and KID of several models' new images
#'
#' Draws `n` images from the prior of each model (conditional models: as many
#' of each digit) and scores them against `real` with [frechet_distance()] and
#' [kernel_inception_distance()], on one feature network. With `reference`,
#' other real images (e.g. training images against test images), the first row
#' is the floor a perfect generator would reach with as many images.
#'
#' @param models A named list of models, e.g. `list("plain VAE" = vae)`.
#' @param real Real images `n x 28 x 28 x 1`.
#' @param n How many images each model draws.
#' @param reference Other real images for the floor, or `NULL`.
#' @param seed Seed for the prior draws and the KID subsets.
#' @param features A Keras model whose layer gives the features; `NULL` for
#'   `load_pretrained("classifier")`.
#' @inheritParams frechet_distance
#' @return A data frame with one row per model (and the floor first): `fid`,
#'   `kid`, `kid_std` and `n`.
#' @export
#' @examplesIf vaelab_available() && nzchar(Sys.getenv("VAELAB_DATA"))
#' test <- load_mnist(splits = "test")$test$x[1:500, , , , drop = FALSE]
#' generation_scores(list("plain VAE" = load_pretrained("vae")), test, n = 500,
#'                   subsets = 5, subset_size = 200)
generation_scores <- function(models, real, n = 10000, reference = NULL, seed = 0,
                              features = NULL, layer = NULL, subsets = 100,
                              subset_size = 1000) {
  scores <- vaelab_call("generation_scores", models = as_named_list(models, as_model),
                        real = as_images(real, "real"), n = as_int(n, "n"),
                        reference = as_images(reference, "reference"),
                        seed = as_optional_int(seed, "seed"), features = as_feature_model(features),
                        layer = as_layer(layer), subsets = as_int(subsets, "subsets"),
                        subset_size = as_int(subset_size, "subset_size"))
  rows <- lapply(scores, function(s) as.data.frame(s[c("fid", "kid", "kid_std", "n")]))
  do.call(rbind, rows)
}

# Images, or a matrix of features: both are arrays to Python.
as_feature_input <- function(x, name, call = sys.call(sys.parent())) {
  as_array(x, name, call)
}

as_feature_model <- function(model, call = sys.call(sys.parent())) {
  as_optional_model(model, "features", call)
}
