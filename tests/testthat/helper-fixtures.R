# Fixtures that several test files share: data sets in their official layouts, written by
# Python as the originals were, and a small perceptual model for colour DFC VAEs.

# Official-format CIFAR-10 batches (tiny) written by Python's pickle, as the originals were.
write_cifar_batches <- function(folder) {
  dir.create(folder, showWarnings = FALSE, recursive = TRUE)
  reticulate::py_run_string(sprintf(paste(
    "import pickle, numpy as np",
    "names = ['data_batch_%%d' %% i for i in range(1, 6)] + ['test_batch']",
    "for number, name in enumerate(names, start=1):",
    "    data = np.zeros((2, 3, 32, 32), np.uint8)",
    "    data[:, 0] = 10 * number",
    "    batch = {b'labels': [number %% 10, 1], b'data': data.reshape(2, 3072)}",
    "    open(%s + '/' + name, 'wb').write(pickle.dumps(batch, protocol=2))",
    sep = "\n"), deparse(folder)))
  folder
}

# A perceptual model small enough for CPU tests: two strided convolutions named as the DFC
# VAE's default layers (conv1, conv2), on images of `shape`.
tiny_perceptual_model <- function(shape = c(64, 64, 3), seed = 1) {
  keras <- reticulate::import("keras")
  keras$utils$set_random_seed(as.integer(seed))
  keras$Sequential(list(
    keras$Input(shape = as.integer(shape)),
    keras$layers$Conv2D(4L, 3L, strides = 2L, activation = "relu", name = "conv1"),
    keras$layers$Conv2D(4L, 3L, strides = 2L, activation = "relu", name = "conv2")
  ), name = "tiny_features")
}
