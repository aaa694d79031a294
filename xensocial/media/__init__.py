"""Images attached to items: read and checked from their bytes (`probe`), kept in the data
folder by content address (`store`, named by `names`), re-encoded down to a network's byte
limit by the upload step (`reencode`), and said to staff in one line (`describe`).
docs/media.md describes the whole path.

The queue (`content_queue`) keeps only each image's address, type, sizes and alt text
(`ItemImage`); the files are the service's, under `DATA_DIR/media/`. The package imports none
of its modules itself: rendering names a post's images (`names`) without loading Pillow or
what writes files.
"""
