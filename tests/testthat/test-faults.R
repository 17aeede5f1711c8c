# Fault injection from R (issue 20), the twin of tests/python/test_faults.py: each case gives
# a classed error that names what is wrong, or a correct result.

test_files <- c("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz")

# A folder with copies of the real MNIST test files only.
copy_test_files <- function() {
  skip_if_no_mnist()
  folder <- tempfile("mnist")
  dir.create(folder)
  file.copy(file.path(Sys.getenv("VAELAB_DATA"), test_files), folder)
  folder
}

# A tiny mnist.npz whose labels are all `label` (synthetic, not MNIST).
write_npz <- function(folder, label) {
  dir.create(folder, showWarnings = FALSE)
  np <- reticulate::import("numpy")
  images <- np$zeros(c(4L, 28L, 28L), dtype = "uint8")
  labels <- np$full(4L, as.integer(label), dtype = "uint8")
  np$savez(file.path(folder, "mnist.npz"), x_train = images, y_train = labels,
           x_test = images, y_test = labels)
  folder
}

fault_vae <- function() build_vae(latent_dim = 2, seed = 1)

# Start Rscript on `lines` in the background; return the R process's id, which it writes first.
spawn_rscript <- function(lines) {
  script <- tempfile(fileext = ".R")
  pid_file <- tempfile()
  writeLines(c(sprintf("writeLines(as.character(Sys.getpid()), %s)", deparse(pid_file)), lines),
             script)
  system2(file.path(R.home("bin"), "Rscript"), script, wait = FALSE, stdout = FALSE,
          stderr = FALSE)
  deadline <- Sys.time() + 60
  while (!file.exists(pid_file) && Sys.time() < deadline) Sys.sleep(0.05)
  as.integer(readLines(pid_file))
}

test_that("altered MNIST files are refused, naming the file, unless verify = FALSE", {
  folder <- copy_test_files()
  py <- py_vaelab()
  labels <- py$read_idx(file.path(folder, test_files[2]))
  labels[1] <- (labels[1] + 1) %% 10
  gz <- gzfile(file.path(folder, test_files[2]), "wb")
  writeBin(as.raw(c(0, 0, 8, 1, 0, 0, 0x27, 0x10)), gz)
  writeBin(as.raw(labels), gz)
  close(gz)
  err <- tryCatch(load_mnist(folder, splits = "test"), error = identity)
  expect_s3_class(err, "vaelab_ValueError")
  expect_match(conditionMessage(err), paste0(
    "t10k-labels-idx1-ubyte.gz: sha256 [0-9a-f]{64} matches no known version .*verify=False"))
  expect_identical(load_mnist(folder, splits = "test", verify = FALSE)$test$y[1],
                   as.integer(labels[1]))
})

test_that("a folder with only the test files serves splits = \"test\" and names what is missing", {
  folder <- copy_test_files()
  expect_identical(dim(load_mnist(folder, splits = "test")$test$x), c(10000L, 28L, 28L, 1L))
  err <- tryCatch(load_mnist(folder, download = FALSE), error = identity)
  expect_s3_class(err, "vaelab_FileNotFoundError")
  expect_match(conditionMessage(err),
               "missing train-images-idx3-ubyte\\[\\.gz\\], train-labels-idx1-ubyte\\[\\.gz\\]")
})

test_that("Sys.setenv(VAELAB_DATA) takes effect after the first load_mnist()", {
  skip_if_no_vaelab()
  first <- write_npz(tempfile("one"), 1)
  second <- write_npz(tempfile("two"), 2)
  old <- Sys.getenv("VAELAB_DATA")
  on.exit(Sys.setenv(VAELAB_DATA = old))
  Sys.setenv(VAELAB_DATA = first)
  expect_identical(load_mnist(splits = "test", verify = FALSE)$test$y[1], 1L)
  Sys.setenv(VAELAB_DATA = second)
  expect_identical(load_mnist(splits = "test", verify = FALSE)$test$y[1], 2L)
})

test_that("a diverged training restores the weights, and a NaN model is blamed, not the input", {
  skip_if_no_vaelab()
  vae <- fault_vae()
  x <- random_images(16)
  before <- vae$get_weights()
  kernel <- vae$get_layer("decoder")$weights[[1]]
  kernel$assign(reticulate::import("numpy")$full(kernel$shape, NaN, dtype = "float32"))
  err <- tryCatch(train_vae(vae, x, epochs = 1, batch_size = 8, verbose = FALSE),
                  error = identity)
  expect_s3_class(err, "vaelab_TrainingDivergedError")
  expect_match(conditionMessage(err), "restored to those before training")
  expect_true(all(is.finite(encode(vae, x))))
  broken <- lapply(before, function(w) w * NaN)
  vae$set_weights(broken)
  err <- tryCatch(reconstruct(vae, x), error = identity)
  expect_s3_class(err, "vaelab_ValueError")
  expect_match(conditionMessage(err),
               "model 'encoder' returned NaN or infinite values for 16 input\\(s\\)")
})

test_that("file errors name the file and the cause", {
  skip_if_no_vaelab()
  folder <- tempfile("files")
  dir.create(folder)
  vae <- fault_vae()
  dir.create(file.path(folder, "dir.keras"))
  err <- tryCatch(save_model(vae, file.path(folder, "dir.keras")), error = identity)
  expect_s3_class(err, "vaelab_IsADirectoryError")
  expect_match(conditionMessage(err), "dir.keras: is a folder; expected a file name inside it")
  blocker <- file.path(folder, "blocker")
  writeLines("a file", blocker)
  err <- tryCatch(save_model(vae, file.path(blocker, "vae.keras")), error = identity)
  expect_s3_class(err, "vaelab_NotADirectoryError")
  expect_match(conditionMessage(err), paste0(blocker, " is a file, not a folder"), fixed = TRUE)
  text <- file.path(folder, "text.keras")
  writeLines("hello", text)
  err <- tryCatch(load_model(text), error = identity)
  expect_s3_class(err, "vaelab_ValueError")
  expect_match(conditionMessage(err), paste0(text, ": is not a .keras archive"), fixed = TRUE)
  err <- tryCatch(load_weights(vae, text), error = identity)
  expect_match(conditionMessage(err), paste0(text, ": is not a .keras archive"), fixed = TRUE)
  expect_false(any(grepl("\\.tmp-", list.files(folder, all.files = TRUE))))
})

test_that("load_pretrained() says when a known model is not shipped", {
  skip_if_no_vaelab()
  skip_if("cvae" %in% available_pretrained(), "cvae is shipped here")
  err <- tryCatch(load_pretrained("cvae"), error = identity)
  expect_s3_class(err, "vaelab_ValueError")
  expect_match(conditionMessage(err),
               "'cvae' is a vaelab model, but its weights are not shipped in .*weights")
})

test_that("saving keeps the mode and the symlink, and kill -9 mid-save keeps the old file", {
  skip_if_no_vaelab()
  skip_on_os("windows")
  folder <- tempfile("kill")
  dir.create(folder)
  path <- file.path(folder, "vae.keras")
  save_model(fault_vae(), path)
  Sys.chmod(path, "640")
  link <- file.path(folder, "link.keras")
  file.symlink(path, link)
  save_model(fault_vae(), link)
  expect_identical(Sys.readlink(link), path)
  expect_identical(format(file.mode(path)), "640")
  # A child R process saves in a loop; it is killed as soon as a temporary file appears.
  child <- spawn_rscript(c(
    sprintf("library(vaelab, lib.loc = %s)", deparse(dirname(find.package("vaelab")))),
    "vae <- build_vae(latent_dim = 2, seed = 1)",
    sprintf("repeat save_model(vae, %s)", deparse(path))))
  on.exit(tools::pskill(child, tools::SIGKILL))
  deadline <- Sys.time() + 180
  while (!any(grepl("^\\.vae\\.tmp-", list.files(folder, all.files = TRUE))) &&
         Sys.time() < deadline) {
    Sys.sleep(0.01)
  }
  tools::pskill(child, tools::SIGKILL)
  expect_lt(Sys.time(), deadline)
  # Until the signal has landed: the process is gone, or a zombie nobody has reaped.
  stat <- sprintf("/proc/%d/stat", child)
  while (file.exists(stat) && !grepl("\\) Z ", paste(readLines(stat), collapse = ""))) {
    Sys.sleep(0.05)
  }
  expect_s3_class(load_model(path), "keras.src.models.model.Model")
  save_model(fault_vae(), path) # sweeps the killed writer's temporary file
  expect_false(any(grepl("\\.tmp-", list.files(folder, all.files = TRUE))))
})

test_that("a full disk and a read-only folder give classed errors naming the file", {
  skip_if_no_vaelab()
  disk <- tempfile("disk")
  dir.create(disk)
  mounted <- suppressWarnings(system2("mount", c("-t", "tmpfs", "-o", "size=256k", "tmpfs", disk),
                                      stdout = TRUE, stderr = TRUE))
  skip_if(!is.null(attr(mounted, "status")), "cannot mount a tmpfs here (needs root)")
  on.exit(system2("umount", c("--lazy", disk)))
  old <- file.path(disk, "vae.keras")
  writeLines("the old model", old)
  err <- tryCatch(save_model(fault_vae(), old), error = identity)
  expect_s3_class(err, "vaelab_OSError")
  expect_match(conditionMessage(err), paste0("cannot write ", old, ": No space left on device"),
               fixed = TRUE)
  expect_identical(readLines(old), "the old model")
  system2("mount", c("-o", "remount,ro", disk))
  err <- tryCatch(save_model(fault_vae(), file.path(disk, "new.keras")), error = identity)
  expect_s3_class(err, "vaelab_OSError")
  expect_match(conditionMessage(err), "Read-only file system")
  expect_identical(list.files(disk, all.files = TRUE, no.. = TRUE), "vae.keras")
})

test_that("paired tests refuse equal differences with Python's message", {
  skip_if_no_vaelab()
  a <- c(1, 2, 3, 4)
  messages <- vapply(list(a - 1, a), function(b) {
    err <- tryCatch(paired_ttest(a, b), error = identity)
    expect_s3_class(err, "vaelab_ValueError")
    expect_error(cohens_dz(a, b), conditionMessage(err), fixed = TRUE)
    conditionMessage(err)
  }, character(1))
  expect_match(messages, "a - b: the paired differences are all equal \\([01]\\)")
  expect_error(wilcoxon_test(a, a), "all paired differences are 0", class = "vaelab_ValueError")
  for (i in 1:2) {
    py_err <- tryCatch(py_vaelab()$paired_ttest(a, list(a - 1, a)[[i]]), error = identity)
    expect_match(conditionMessage(py_err), messages[i], fixed = TRUE)
  }
})

test_that("blur_comparison() names the group in its errors", {
  skip_if_no_vaelab()
  x <- random_images(6)
  expect_error(blur_comparison(x, c(0, 0, 0, 0, 0, 1), list(half = x / 2)),
               "groups\\[\\[\"digit 1\"\\]\\]: selects 1 image\\(s\\); expected at least 2",
               class = "vaelab_ValueError")
  expect_error(blur_comparison(x, rep(0, 6), list(same = x), groups = list(all = rep(TRUE, 6))),
               "groups\\[\\[\"all\"\\]\\], original vs same: a - b: the paired differences",
               class = "vaelab_ValueError")
})

test_that("hints fit the mistake, in R's words", {
  skip_if_no_vaelab()
  expect_error(laplacian_variance(array(1L, c(2, 28, 28, 1))),
               "integer dtype int32; convert them with storage.mode(x) <- \"double\"",
               fixed = TRUE, class = "vaelab_ValueError")
  expect_error(laplacian_variance(array(1.0001, c(2, 28, 28, 1))), paste0(
    "\\[1.0001, 1.0001\\]; they overshoot \\[0, 1\\] a little: clip them, ",
    "e.g. pmin\\(pmax\\(x, 0\\), 1\\)"))
  expect_error(laplacian_variance(array(1.5, c(2, 28, 28, 1))), "\\[1.5, 1.5\\]$")
})
