"""Colab and Kaggle, faked in a temporary folder: datasets found on any layout of Kaggle's mount (and
never by walking a huge mount whole), errors that say what to switch on, and the Kaggle login on Colab."""

from __future__ import annotations

import json
import sys
import types
from pathlib import Path

import pytest
from testkit import write_images, write_mnist

from helpers import load_cat_faces, load_mnist
from helpers.data import DataNotFoundError, find_data_locations, kaggle_login
from helpers.data import sources as data_module
from helpers.infra import env
from helpers.infra.caches import clear_caches

SLUG = "cats-faces-64x64-for-generative-models"


@pytest.fixture
def kaggle(no_data, monkeypatch) -> Path:
    """An empty fake Kaggle input mount; everything else as in ``no_data`` (offline, no GAN_DATA_DIR), full mode."""
    mount = no_data / "kaggle-input"
    mount.mkdir()
    monkeypatch.setattr(env, "KAGGLE_INPUT", mount)
    monkeypatch.setattr(env, "FAST", False)
    clear_caches()
    return mount


@pytest.mark.parametrize(
    "layout",
    [
        f"{SLUG}/cats",  # the classic mount
        f"datasets/spandan2/{SLUG}/cats",  # reported: /kaggle/input/datasets/<owner>/<slug>/
        f"datasets/spandan2/{SLUG}/versions/2/cats",  # kagglehub's own cache layout
        f"{SLUG}/cats/cats",  # the images one folder deeper
        f"datasets/spandan2/{SLUG}",  # the images right in the dataset's folder
    ],
)
def test_cats_found_on_any_kaggle_layout(kaggle, layout) -> None:
    write_images(kaggle / layout, 3)
    assert load_cat_faces().shape == (3, 3, 64, 64)
    assert find_data_locations()["cat faces"] == str(kaggle / layout)


def test_other_image_datasets_on_the_mount_are_not_taken_for_cats(kaggle) -> None:
    write_images(kaggle / "dogs" / "cats", 2)  # another dataset, shallower and first by name
    write_images(kaggle / "datasets" / "owner" / "pets" / "images", 2)
    write_images(kaggle / "datasets" / "spandan2" / SLUG / "cats", 4)
    assert load_cat_faces().shape == (4, 3, 64, 64)


def test_the_search_stops_at_its_depth_and_says_so(kaggle) -> None:
    deep = kaggle / "a" / "b" / "c" / "d" / "e" / SLUG / "cats"  # the dataset's folder 6 levels down
    write_images(deep, 2)
    with pytest.raises(DataNotFoundError, match=f"searched {data_module.KAGGLE_SEARCH_DEPTH} folder levels down"):
        load_cat_faces()
    assert find_data_locations()["cat faces"].startswith("not found")


def test_a_huge_mount_is_not_walked_whole(kaggle, monkeypatch) -> None:
    for i in range(30):
        (kaggle / f"other-{i:02d}" / "sub").mkdir(parents=True)
    monkeypatch.setattr(data_module, "KAGGLE_SEARCH_FOLDERS", 10)
    listed: list[str] = []
    real_scandir = data_module.os.scandir

    def counting_scandir(path):  # noqa: ANN202
        listed.append(str(path))
        return real_scandir(path)

    monkeypatch.setattr(data_module.os, "scandir", counting_scandir)
    assert find_data_locations()["cat faces"].startswith("not found")  # searched for MNIST, then the cat faces
    assert 0 < len(listed) <= 2 * 10 < 60  # 10 folders a search, of the 60 the mount holds


@pytest.mark.parametrize(
    ("layout", "spelling"),
    [
        ("mnist-dataset", {"name": lambda n: n.replace("-idx", ".idx"), "folder_per_file": True}),  # Kaggle's copy
        ("datasets/hojjatk/mnist-dataset", {"name": lambda n: n.replace("-idx", ".idx")}),
        ("datasets/someone/mnist/versions/1/MNIST/raw", {"gz": True, "suffix": ""}),  # torchvision's, gzipped
        ("mnist/MNIST/raw", {}),
    ],
    ids=["kaggle-spelling", "datasets-owner-slug", "versions-torchvision-gz", "torchvision"],
)
def test_mnist_found_on_any_kaggle_layout(kaggle, layout, spelling) -> None:
    write_mnist(kaggle / layout, **spelling)
    images, labels = load_mnist()
    assert images.shape == (6, 1, 28, 28) and labels.tolist() == [0, 1, 2, 3, 4, 5]
    assert load_mnist(train=False)[0].shape == (4, 1, 28, 28)
    assert find_data_locations()["MNIST"].startswith(str(kaggle / layout))


def test_mnist_missing_on_kaggle_explains_the_internet_switch(kaggle) -> None:
    write_images(kaggle / SLUG / "cats", 2)  # some other dataset is attached
    with pytest.raises(DataNotFoundError) as err:
        load_mnist()
    message = str(err.value)
    assert "Settings > Internet" in message and "Add Input" in message
    assert f"no MNIST idx files under {kaggle}" in message


def test_mnist_missing_elsewhere_does_not_talk_about_kaggle(no_data, monkeypatch) -> None:
    monkeypatch.setattr(env, "FAST", False)
    monkeypatch.delenv("KAGGLE_KERNEL_RUN_TYPE", raising=False)
    with pytest.raises(DataNotFoundError) as err:
        load_mnist()
    assert "Settings > Internet" not in str(err.value) and "does not exist (not on Kaggle" in str(err.value)


def test_cats_missing_on_kaggle_says_add_input(kaggle) -> None:
    with pytest.raises(DataNotFoundError, match=r"Fix: add the dataset 'spandan2/.*Add Input"):
        load_cat_faces()


def test_cats_missing_on_colab_says_how_to_log_in(no_data, monkeypatch) -> None:
    monkeypatch.setattr(env, "FAST", False)
    monkeypatch.setattr(env, "detect_platform", lambda: "colab")
    with pytest.raises(DataNotFoundError) as err:
        load_cat_faces()
    assert "helpers.data.kaggle_login()" in str(err.value) and "KAGGLE_USERNAME" in str(err.value)


# ------------------------------------------------------------------ the Kaggle login (Colab)

SECRET = "s3cr3t-k3y-0123456789"


@pytest.fixture
def no_credentials(monkeypatch, tmp_path) -> Path:
    for name in ("KAGGLE_API_TOKEN", "KAGGLE_USERNAME", "KAGGLE_KEY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("KAGGLE_CONFIG_DIR", str(tmp_path / "kaggle-config"))
    monkeypatch.setitem(sys.modules, "google", None)  # not on Colab unless a test says so
    return tmp_path / "kaggle-config"


def fake_kagglehub(monkeypatch) -> list[str]:
    calls: list[str] = []
    module = types.ModuleType("kagglehub")
    module.login = lambda: calls.append("login")
    monkeypatch.setitem(sys.modules, "kagglehub", module)
    return calls


def fake_colab_secrets(monkeypatch, secrets: dict[str, str]) -> None:
    class SecretNotFoundError(Exception):
        pass

    def get(name: str) -> str:
        if name not in secrets:
            raise SecretNotFoundError(name)
        return secrets[name]

    userdata = types.SimpleNamespace(get=get)
    colab = types.ModuleType("google.colab")
    colab.userdata = userdata
    google = types.ModuleType("google")
    google.colab = colab
    monkeypatch.setitem(sys.modules, "google", google)
    monkeypatch.setitem(sys.modules, "google.colab", colab)
    monkeypatch.setitem(sys.modules, "google.colab.userdata", userdata)


def test_login_uses_credentials_already_there(no_credentials, monkeypatch, capsys) -> None:
    calls = fake_kagglehub(monkeypatch)
    monkeypatch.setenv("KAGGLE_USERNAME", "learner")
    monkeypatch.setenv("KAGGLE_KEY", SECRET)
    assert "KAGGLE_USERNAME and KAGGLE_KEY from the environment" in kaggle_login()
    monkeypatch.delenv("KAGGLE_KEY")
    no_credentials.mkdir()
    (no_credentials / "kaggle.json").write_text(json.dumps({"username": "learner", "key": SECRET}))
    assert str(no_credentials / "kaggle.json") in kaggle_login()
    assert calls == [] and SECRET not in capsys.readouterr().out


def test_login_copies_colab_secrets_into_the_process_only(no_credentials, monkeypatch, capsys) -> None:
    calls = fake_kagglehub(monkeypatch)
    fake_colab_secrets(monkeypatch, {"KAGGLE_USERNAME": "learner", "KAGGLE_KEY": SECRET + "\n"})
    said = kaggle_login()
    assert "Colab secret(s) KAGGLE_USERNAME and KAGGLE_KEY" in said and SECRET not in said
    assert env.os.environ["KAGGLE_KEY"] == SECRET and calls == []
    assert SECRET not in capsys.readouterr().out and not no_credentials.exists(), "nothing printed or written"


def test_login_asks_when_there_is_nothing(no_credentials, monkeypatch) -> None:
    calls = fake_kagglehub(monkeypatch)
    fake_colab_secrets(monkeypatch, {})  # on Colab, but no secret shared with the notebook
    assert "typed in" in kaggle_login()
    assert calls == ["login"]
