"""Run metadata: checksums of the inputs a run read."""


def test_file_sha256_of_plain_gdal_and_folder_names(tmp_path):
    import hashlib
    import zipfile

    from carbonbalance.core.metadata import file_sha256

    f = tmp_path / "x.nc"
    f.write_bytes(b"carbon" * 1000)
    digest = hashlib.sha256(b"carbon" * 1000).hexdigest()
    assert file_sha256(f) == digest
    assert file_sha256(f'NETCDF:"{f}":ndvi') == digest  # the file a GDAL subdataset name reads
    z = tmp_path / "a.zip"
    with zipfile.ZipFile(z, "w") as zf:
        zf.writestr("a.tif", b"1")
    assert file_sha256(f"/vsizip/{z}/a.tif") == hashlib.sha256(z.read_bytes()).hexdigest()
    store = tmp_path / "s.zarr"
    (store / "v").mkdir(parents=True)
    (store / "v" / "0").write_bytes(b"a")
    first = file_sha256(store)
    (store / "v" / "0").write_bytes(b"b")
    assert first is not None and file_sha256(store) != first  # a folder's digest follows its files
    assert file_sha256(tmp_path / "missing.tif") is None
