"""vaelab.datasets: folders of PNG/JPEG files and CelebA's layout, read lazily and in batches."""

import keras
import numpy as np
import pandas as pd
import pytest
from PIL import Image

from vaelab.datasets import (
    DFC_CROP,
    ImageBatches,
    load_celeba,
    load_image_folder,
    read_celeba_attributes,
    read_image,
)
from vaelab.faces import write_celeba_layout

CELEBA_NAMES = ("5_o_Clock_Shadow Arched_Eyebrows Attractive Bags_Under_Eyes Bald Bangs "
                "Big_Lips Big_Nose Black_Hair Blond_Hair Blurry Brown_Hair Bushy_Eyebrows "
                "Chubby Double_Chin Eyeglasses Goatee Gray_Hair Heavy_Makeup High_Cheekbones "
                "Male Mouth_Slightly_Open Mustache Narrow_Eyes No_Beard Oval_Face Pale_Skin "
                "Pointy_Nose Receding_Hairline Rosy_Cheeks Sideburns Smiling Straight_Hair "
                "Wavy_Hair Wearing_Earrings Wearing_Hat Wearing_Lipstick Wearing_Necklace "
                "Wearing_Necktie Young").split()


def save(path, pixels):
    """Write uint8 pixels (h, w, 3) or (h, w) as PNG or JPEG, by the suffix."""
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(np.asarray(pixels, np.uint8)).save(path)
    return path


def flat(value, h=218, w=178):
    return np.full((h, w, 3), value, np.uint8)


# --- read_image -----------------------------------------------------------------------------

def test_read_image_scales_to_unit_range_and_keeps_colour(tmp_path):
    pixels = np.zeros((8, 8, 3), np.uint8)
    pixels[..., 0], pixels[..., 2] = 255, 51
    image = read_image(save(tmp_path / "red.png", pixels), 8)
    assert image.shape == (8, 8, 3) and image.dtype == np.float32
    np.testing.assert_allclose(image[0, 0], [1.0, 0.0, 0.2], atol=1e-6)


def test_read_image_crops_the_dfc_box(tmp_path):
    """Only the DFC square (rows 40-177, columns 30-167) is kept."""
    pixels = flat(0)
    top, left, side = DFC_CROP
    pixels[top:top + side, left:left + side] = 200
    image = read_image(save(tmp_path / "face.png", pixels), 64, crop=DFC_CROP)
    np.testing.assert_allclose(image, 200 / 255, atol=1e-6)
    whole = read_image(tmp_path / "face.png", 64, crop=None)
    assert whole.min() == 0.0


def test_read_image_centre_crops_and_gray(tmp_path):
    pixels = np.zeros((20, 40, 3), np.uint8)
    pixels[:, 10:30] = 255  # the centred 20 x 20 square is white
    assert read_image(save(tmp_path / "wide.png", pixels), 10, crop="centre").min() == 1.0
    gray = read_image(tmp_path / "wide.png", (5, 10), channels=1, crop=None)
    assert gray.shape == (5, 10, 1)
    assert read_image(tmp_path / "wide.png", 10, crop=148 // 10).shape == (10, 10, 3)


def test_read_image_names_an_undecodable_file(tmp_path):
    bad = tmp_path / "broken.jpg"
    bad.write_bytes(b"\xff\xd8 this is not really a JPEG")
    with pytest.raises(ValueError, match=r"broken\.jpg: cannot be decoded as an image"):
        read_image(bad, 64)
    truncated = tmp_path / "truncated.png"
    truncated.write_bytes(save(tmp_path / "whole.png", flat(9, 40, 40)).read_bytes()[:60])
    with pytest.raises(ValueError, match=r"truncated\.png: cannot be decoded"):
        read_image(truncated, 64)


def test_read_image_crop_that_does_not_fit(tmp_path):
    path = save(tmp_path / "small.png", flat(0, 50, 50))
    with pytest.raises(ValueError, match=r"small\.png: the crop \(40, 30, 138\) does not fit "
                                         r"in this 50 x 50 image"):
        read_image(path, 64, crop=DFC_CROP)
    with pytest.raises(ValueError, match=r"crop: expected None, \"centre\""):
        read_image(path, 64, crop="middle")


@pytest.mark.parametrize("size", [0, -3, 2.5, (3,), "64", True])
def test_read_image_bad_size(tmp_path, size):
    with pytest.raises(ValueError, match="size: expected a positive whole number"):
        read_image(save(tmp_path / "a.png", flat(0, 4, 4)), size)


# --- load_image_folder ----------------------------------------------------------------------

@pytest.fixture
def classes(tmp_path):
    """cats/ (2 PNG), dogs/ (a JPEG, one in a sub-folder): two classes."""
    root = tmp_path / "pets"
    save(root / "cats" / "a.png", flat(10, 30, 30))
    save(root / "cats" / "b.PNG", flat(20, 30, 30))
    save(root / "dogs" / "c.jpg", flat(200, 30, 30))
    save(root / "dogs" / "more" / "d.jpeg", flat(250, 30, 30))
    (root / "notes.txt").write_text("not an image")
    return root


def test_image_folder_labels_come_from_sub_folders(classes):
    pets = load_image_folder(classes, size=16)
    assert pets.class_names == ["cats", "dogs"]
    assert [p.name for p in pets.files] == ["a.png", "b.PNG", "c.jpg", "d.jpeg"]
    images, labels = pets.read()
    assert images.shape == (4, 16, 16, 3) and images.dtype == np.float32
    np.testing.assert_array_equal(labels, [0, 0, 1, 1])
    np.testing.assert_allclose(images[:, 0, 0, 0], np.array([10, 20, 200, 250]) / 255,
                               atol=2 / 255)


def test_image_folder_without_classes(tmp_path):
    save(tmp_path / "x.png", flat(0, 12, 12))
    save(tmp_path / "y.jpg", flat(0, 12, 12))
    photos = load_image_folder(tmp_path, size=(6, 8), channels=1)
    images, labels = photos.read([1])
    assert images.shape == (1, 6, 8, 1) and labels is None
    with pytest.raises(ValueError, match="with_labels: these images have no labels"):
        photos.batches(with_labels=True)


def test_image_folder_missing_empty_or_mixed(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"image folder not found: .*nowhere does "
                                                r"not exist"):
        load_image_folder(tmp_path / "nowhere")
    (tmp_path / "empty" / "sub").mkdir(parents=True)
    with pytest.raises(FileNotFoundError, match=r"empty: no image files \(\.png, \.jpg, "
                                                r"\.jpeg\)"):
        load_image_folder(tmp_path / "empty")
    save(tmp_path / "mixed" / "loose.png", flat(0, 4, 4))
    save(tmp_path / "mixed" / "class" / "in.png", flat(0, 4, 4))
    with pytest.raises(ValueError, match=r"mixed: holds both image files \(loose\.png"):
        load_image_folder(tmp_path / "mixed")
    save(tmp_path / "file.png", flat(0, 4, 4))
    with pytest.raises(NotADirectoryError, match=r"file\.png is a file, expected a folder"):
        load_image_folder(tmp_path / "file.png")


def test_undecodable_image_is_an_error_or_skipped_with_a_warning(classes):
    (classes / "dogs" / "zz-broken.png").write_bytes(b"garbage")
    with pytest.raises(ValueError, match=r"zz-broken\.png: cannot be decoded"):
        load_image_folder(classes, size=8).read()
    tolerant = load_image_folder(classes, size=8, skip_unreadable=True)
    with pytest.warns(UserWarning, match=r"skipped 1 unreadable image\(s\) of 5; the first: "
                                         r".*zz-broken\.png"):
        images, labels = tolerant.read()
    assert len(images) == 4
    np.testing.assert_array_equal(labels, [0, 0, 1, 1])
    with pytest.warns(UserWarning, match=r"skipped 1 unreadable image\(s\) of 2"):
        images, kept = tolerant.read_kept([4, 0])
    assert len(images) == 1 and kept.tolist() == [0]


def test_batches_are_a_keras_dataset_that_streams(classes):
    pets = load_image_folder(classes, size=8)
    batches = pets.batches(batch_size=3, seed=1, with_labels=True)
    assert isinstance(batches, keras.utils.PyDataset) and isinstance(batches, ImageBatches)
    assert len(batches) == 2
    first, second = batches[0], batches[1]
    assert first[0].shape == (3, 8, 8, 3) and second[0].shape == (1, 8, 8, 3)
    seen = np.concatenate([first[1], second[1]])
    assert sorted(seen.tolist()) == [0, 0, 1, 1]
    # The same seed, the same order; each epoch reshuffles.
    again = pets.batches(batch_size=3, seed=1, with_labels=True)
    np.testing.assert_array_equal(again[0][0], first[0])
    orders = set()
    for _ in range(8):
        batches.on_epoch_end()
        orders.add(tuple(batches._order))
    assert len(orders) > 1
    with pytest.raises(IndexError):
        batches[2]
    plain = pets.batches(batch_size=4, shuffle=False)
    np.testing.assert_array_equal(plain[0], pets.read()[0])


# --- CelebA -------------------------------------------------------------------------------

def celeba_tree(root, n=5, partition=(0, 0, 0, 1, 2), names=CELEBA_NAMES):
    """A small CelebA tree in the official layout, with flat images whose gray level is
    10 times the image's number."""
    values = np.where(np.arange(n * len(names)).reshape(n, len(names)) % 3 == 0, 1, -1)
    files = [f"{i + 1:06d}.jpg" for i in range(n)]
    for i, name in enumerate(files):
        save(root / "img_align_celeba" / name, flat(10 * (i + 1)))
    rows = "".join(f + "".join(f" {v:2d}" for v in row) + "\n" for f, row in zip(files, values))
    (root / "list_attr_celeba.txt").write_text(f"{n}\n{' '.join(names)} \n{rows}")
    (root / "list_eval_partition.txt").write_text(
        "".join(f"{f} {p}\n" for f, p in zip(files, partition)))
    return root, values


def test_load_celeba_reads_the_official_layout(tmp_path):
    root, values = celeba_tree(tmp_path)
    train = load_celeba(root, size=32)
    assert len(train) == 3 and train.shape == (32, 32, 3)
    assert isinstance(train.labels, pd.DataFrame)
    assert list(train.labels.columns) == CELEBA_NAMES
    assert list(train.labels.index) == ["000001.jpg", "000002.jpg", "000003.jpg"]
    np.testing.assert_array_equal(train.labels.to_numpy(), values[:3])
    images, attributes = train.read([2, 0])
    assert list(attributes.index) == ["000003.jpg", "000001.jpg"]
    np.testing.assert_allclose(images[:, 5, 5, 1], [30 / 255, 10 / 255], atol=3 / 255)
    assert [len(load_celeba(root, split=s)) for s in ("valid", "test", "all")] == [1, 1, 5]
    x, y = load_celeba(root, split="all").batches(5, shuffle=False, with_labels=True)[0]
    np.testing.assert_array_equal(y, (values + 1) / 2)
    assert y.dtype == np.float32


def test_load_celeba_bad_split_or_missing_parts(tmp_path):
    root, _ = celeba_tree(tmp_path / "c")
    with pytest.raises(ValueError, match=r"split: expected \"train\", \"valid\", \"test\" or "
                                         r"\"all\", got 'validation'"):
        load_celeba(root, split="validation")
    with pytest.raises(FileNotFoundError, match="CelebA folder not found"):
        load_celeba(tmp_path / "nowhere")
    (root / "list_eval_partition.txt").unlink()
    with pytest.raises(FileNotFoundError, match=r"list_eval_partition\.txt: not found"):
        load_celeba(root)
    for f in (root / "img_align_celeba").iterdir():
        f.unlink()
    (root / "img_align_celeba").rmdir()
    with pytest.raises(FileNotFoundError, match=r"CelebA image folder \(img_align_celeba/ "
                                                r"inside .*\) not found"):
        load_celeba(root)


@pytest.mark.parametrize("damage, message", [
    (lambda t: t.replace("5\n", "five\n", 1), r"line 1 should be the number of images"),
    (lambda t: t.replace("5\n", "6\n", 1), r"line 1 announces 6 images but 5 are listed"),
    (lambda t: t.replace(" -1", " 0", 1), r"line 3: expected a file name and 40 values of 1 "
                                          r"or -1"),
    (lambda t: t[:t.rindex(" ")] + "\n", r"line 7: expected a file name and 40 values"),
    (lambda t: t.replace("Young", "Smiling"), r"line 2 should name each attribute once"),
    (lambda t: t.replace("000002.jpg", "000001.jpg"), r"lists 000001\.jpg more than once"),
    (lambda t: t.split("\n")[0] + "\n",
     r"expected the number of images on line 1 .*got 1 line\(s\)"),
])
def test_malformed_attribute_file(tmp_path, damage, message):
    root, _ = celeba_tree(tmp_path)
    path = root / "list_attr_celeba.txt"
    path.write_text(damage(path.read_text()))
    with pytest.raises(ValueError, match=r"list_attr_celeba\.txt: " + message):
        load_celeba(root)


def test_malformed_partition_file(tmp_path):
    root, _ = celeba_tree(tmp_path)
    path = root / "list_eval_partition.txt"
    path.write_text(path.read_text().replace("000004.jpg 1", "000004.jpg 3"))
    with pytest.raises(ValueError, match=r"list_eval_partition\.txt: line 4: expected a file "
                                         r"name and 0, 1 or 2, got '000004\.jpg 3'"):
        load_celeba(root)


def test_counts_that_disagree(tmp_path):
    root, _ = celeba_tree(tmp_path / "a")
    path = root / "list_eval_partition.txt"
    path.write_text("".join(path.read_text().splitlines(keepends=True)[:4]))
    with pytest.raises(ValueError, match=r"list_attr_celeba\.txt lists 5 files and "
                                         r"list_eval_partition\.txt 4: 1 of list_attr_celeba"
                                         r"\.txt's are not in list_eval_partition\.txt "
                                         r"\(first: 000005\.jpg\)"):
        load_celeba(root)
    root, _ = celeba_tree(tmp_path / "b")
    (root / "img_align_celeba" / "000002.jpg").unlink()
    with pytest.raises(FileNotFoundError, match=r"img_align_celeba: 1 of the 5 files that "
                                                r"list_attr_celeba\.txt lists are missing "
                                                r"\(first: 000002\.jpg\)"):
        load_celeba(root)
    root, _ = celeba_tree(tmp_path / "c")
    save(root / "img_align_celeba" / "000099.jpg", flat(0))
    with pytest.warns(UserWarning, match=r"1 file\(s\) there are not listed in "
                                         r"list_attr_celeba\.txt and are ignored \(first: "
                                         r"000099\.jpg\)"):
        assert len(load_celeba(root, split="all")) == 5


def test_undecodable_celeba_image(tmp_path):
    root, _ = celeba_tree(tmp_path)
    (root / "img_align_celeba" / "000003.jpg").write_bytes(b"not a jpeg")
    with pytest.raises(ValueError, match=r"000003\.jpg: cannot be decoded as an image"):
        load_celeba(root).read()
    with pytest.warns(UserWarning, match=r"skipped 1 unreadable image\(s\) of 3"):
        images, attributes = load_celeba(root, skip_unreadable=True).read()
    assert list(attributes.index) == ["000001.jpg", "000002.jpg"] and len(images) == 2


def test_attribute_file_of_the_synthetic_faces(tmp_path):
    root = write_celeba_layout(tmp_path, 3, seed=1)
    table = read_celeba_attributes(root / "list_attr_celeba.txt")
    assert table.shape == (3, 6) and table.index.name == "file"


def test_a_vae_trains_on_images_streamed_from_a_folder(classes):
    """Batches without labels are what a VAE, whose loss is added by a layer, trains on."""
    from vaelab.models import build_vae

    digits = load_image_folder(classes, size=28, channels=1)
    vae = build_vae(latent_dim=2, seed=1)
    history = vae.fit(digits.batches(2, seed=0), epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"]).all()
