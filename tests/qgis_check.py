"""qgis_check.py BASE ROOT ANALYSIS_CRS: Debian's QGIS (3.22, headless) as a
planner's client of the gisd server at BASE: the one-click project opens with
every layer valid and renders the city with its land-use colours, at the
project's extent and at a z8 scale; the planning style converts with QGIS's
own converter without losing a rule; the committed QGIS symbology is the
conversion of the committed style."""
import hashlib
import json
import os
import sys
import tempfile
import urllib.request
import xml.etree.ElementTree as ET

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
from qgis.core import (QgsApplication, QgsCoordinateReferenceSystem,  # noqa: E402
                       QgsMapBoxGlStyleConversionContext, QgsMapBoxGlStyleConverter,
                       QgsMapRendererParallelJob, QgsMapSettings, QgsProject,
                       QgsReadWriteContext, QgsRectangle)
from qgis.PyQt.QtCore import QSize  # noqa: E402
from qgis.PyQt.QtGui import QColor  # noqa: E402
from qgis.PyQt.QtXml import QDomDocument  # noqa: E402

base, root, analysis_crs = sys.argv[1], sys.argv[2], sys.argv[3]
out_dir = tempfile.mkdtemp(prefix="gisd-qgis-")


def fail(msg):
    print("FAIL: " + msg)
    sys.exit(1)


app = QgsApplication([], False)
app.initQgis()

# 1. the planning style through QGIS's converter: nothing lost, no warning but fonts
style = json.loads(urllib.request.urlopen(base + "/styles/planning.json").read())
conv = QgsMapBoxGlStyleConverter()
if conv.convert(style, QgsMapBoxGlStyleConversionContext()) != 0:
    fail("the converter refused the style: " + conv.errorMessage())
bad = [w for w in conv.warnings() if "font" not in w.lower()]
if bad:
    fail("converter warnings: " + "; ".join(bad))
doc = QDomDocument()
el = doc.createElement("renderer")
doc.appendChild(el)
conv.renderer().writeXml(el, QgsReadWriteContext())
if "IN ()" in doc.toString():
    fail("a match lost its values in conversion (IN ())")
committed = ET.parse(os.path.join(root, "styles/qgis/planning.xml")).getroot()
want = hashlib.sha256(open(os.path.join(root, "styles/planning.json"), "rb").read()).hexdigest()
if committed.get("source-sha256") != want:
    fail("styles/qgis/planning.xml is not the conversion of styles/planning.json: run styles/qgis/convert.py")

# 2. the project, as a user downloads and opens it
qgz = os.path.join(out_dir, "city.qgz")
with urllib.request.urlopen(base + "/qgis/project.qgz") as r:
    if r.headers.get("Content-Type") != "application/zip":
        fail("project.qgz is served as " + str(r.headers.get("Content-Type")))
    open(qgz, "wb").write(r.read())
project = QgsProject.instance()
if not project.read(qgz):
    fail("QGIS cannot read the project: " + project.error())
if project.crs().authid() != analysis_crs:
    fail(f"project CRS {project.crs().authid()}, the analysis CRS is {analysis_crs}")
collections = json.loads(urllib.request.urlopen(base + "/collections?f=json").read())["collections"]
layers = list(project.mapLayers().values())
if len(layers) != len(collections) + 1:
    fail(f"{len(layers)} layers in the project for {len(collections)} collections and the tiles")
invalid = [lyr.name() for lyr in layers if not lyr.isValid()]
if invalid:
    fail("invalid layers: " + ", ".join(invalid))
tiles = [lyr for lyr in layers if lyr.providerType() == "vectortile"]
oapif = [lyr for lyr in layers if lyr.providerType() == "OAPIF"]
if len(tiles) != 1 or len(oapif) != len(collections):
    fail("the project should hold the vector tiles and one OAPIF layer per collection")
tree = project.layerTreeRoot()
if any(tree.findLayer(lyr.id()).isVisible() for lyr in oapif) or not tree.findLayer(tiles[0].id()).isVisible():
    fail("the OAPIF layers should be hidden and the tiles shown")
parks = next(lyr for lyr in oapif if "typename='parks'" in lyr.source())
if parks.featureCount() != 11:
    fail(f"parks over OAPIF: {parks.featureCount()} features")
# layer names Chinese first ("社区 Communities"), as the planners read them
for lyr in oapif:
    if not ("\u4e00" <= lyr.name()[0] <= "\u9fff"):
        fail(f"the layer name {lyr.name()!r} is not Chinese first")
# one background for the whole map: the project's canvas in the style's
# background colour, the tiles' own background style off (drawn tile by
# tile, its seams showed)
bg = next(lyr for lyr in style["layers"] if lyr["type"] == "background")["paint"]["background-color"]
canvas = project.backgroundColor().name()
if canvas.lower() != bg.lower():
    fail(f"the project's background is {canvas}, the style's {bg}")
for st in tiles[0].renderer().styles():
    if st.layerName() == "background" and st.isEnabled():
        fail("the tiles still draw their background tile by tile")
# district names outrank park names, and both every other label
prio = {st.layerName(): st.labelSettings().priority for st in tiles[0].labeling().styles()}
if not (prio.get("districts_label", 0) > prio.get("parks_label", 0) > max(v for k, v in prio.items()
                                                                      if k not in ("districts_label", "parks_label"))):
    fail(f"label priorities {prio}")
extent = project.viewSettings().defaultViewExtent()
if extent.isEmpty():
    fail("the project opens on no extent")


def render(rect, name, size=(900, 700)):
    s = QgsMapSettings()
    s.setLayers([tiles[0]])
    s.setDestinationCrs(project.crs())
    s.setOutputSize(QSize(*size))
    s.setExtent(rect)
    s.setBackgroundColor(QColor(255, 255, 255))
    job = QgsMapRendererParallelJob(s)
    job.start()
    job.waitForFinished()
    img = job.renderedImage()
    img.save(os.path.join(out_dir, name))
    return img, s.scale()


def land_uses_in(img):
    """The land uses whose fill colour (at the style's opacity, over a light
    ground) is among the rendered pixels."""
    colours = {}
    for y in range(0, img.height(), 2):
        for x in range(0, img.width(), 2):
            c = img.pixel(x, y)
            colours[(c >> 16 & 255, c >> 8 & 255, c & 255)] = 1
    found = []
    for use, hexc in LAND_USES.items():
        r, g, b = int(hexc[1:3], 16), int(hexc[3:5], 16), int(hexc[5:7], 16)
        # fill-opacity 0.7 over the near-white districts and background
        er, eg, eb = (0.7 * r + 0.3 * 246, 0.7 * g + 0.3 * 246, 0.7 * b + 0.3 * 242)
        if any(abs(cr - er) < 18 and abs(cg - eg) < 18 and abs(cb - eb) < 18 for cr, cg, cb in colours):
            found.append(use)
    return found


zones_fill = next(lyr for lyr in style["layers"] if lyr["id"] == "zones-fill")["paint"]["fill-color"]
LAND_USES = {zones_fill[i][0]: zones_fill[i + 1] for i in range(2, len(zones_fill) - 1, 2)}

img, scale = render(extent, "extent.png")
found = land_uses_in(img)
if len(found) < 3:
    fail(f"the city at 1:{scale:,.0f} shows land uses {found}")
# a z8 view (about 1:2,000,000): zones come from their overview
c = extent.center()
half = 2_000_000 * 0.28e-3 * 900 / 2
img8, scale8 = render(QgsRectangle(c.x() - half, c.y() - half * 7 / 9, c.x() + half, c.y() + half * 7 / 9), "z8.png")
found8 = land_uses_in(img8)
if len(found8) < 2:
    fail(f"a z8 view (1:{scale8:,.0f}) shows land uses {found8}")
print(f"ok: {len(layers)} layers valid, extent 1:{scale:,.0f} shows {sorted(found)}, "
      f"1:{scale8:,.0f} shows {sorted(found8)}; renders in {out_dir}")
app.exitQgis()
