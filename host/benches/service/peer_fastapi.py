"""The peer of `plexus serve --http`'s slice route: the FastAPI service the
issue replaces, serving one PNG plane of an .npy volume through a contrast
window, read through numpy's memory map.

pip: fastapi==0.115.6 uvicorn==0.34.0 numpy==2.2.1 pillow==11.1.0
run: python peer_fastapi.py VOLUME.npy PORT   (load.py starts it)
"""

import io
import sys

import numpy as np
import uvicorn
from fastapi import FastAPI, Response
from PIL import Image

volume = np.load(sys.argv[1], mmap_mode="r")
app = FastAPI()


@app.get("/slice")
def slice_png(z: int = 0, lo: float | None = None, hi: float | None = None) -> Response:
    plane = np.asarray(volume[z], dtype=np.float64)
    lo = float(plane.min()) if lo is None else lo
    hi = float(plane.max()) if hi is None else hi
    if hi <= lo:
        gray = np.zeros(plane.shape, np.uint8)
    else:
        gray = np.clip(np.rint((plane - lo) / (hi - lo) * 255.0), 0, 255).astype(np.uint8)
    buf = io.BytesIO()
    Image.fromarray(gray, mode="L").save(buf, format="PNG")
    return Response(buf.getvalue(), media_type="image/png")


if __name__ == "__main__":
    uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[2]), log_level="warning")
