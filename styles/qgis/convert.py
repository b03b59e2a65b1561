"""convert.py [STYLE.json [OUT.xml]]: the planning style converted to QGIS's
own vector-tile symbology by QGIS's converter (QgsMapBoxGlStyleConverter), as
the <renderer> and <labeling> elements gisd puts in /qgis/project.qgz.

QGIS 3.22 has no way to apply a MapLibre style when it opens a project, so
the conversion is done here, once, and its output is committed beside the
style (styles/qgis/planning.xml). Run it again after changing
styles/planning.json (/usr/bin/python3 styles/qgis/convert.py): the file
records the SHA-256 of the style it was made from, and make test fails while
that is not the committed style's."""
import hashlib
import json
import os
import sys
import xml.etree.ElementTree as ET

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
from qgis.core import (QgsApplication, QgsMapBoxGlStyleConversionContext,  # noqa: E402
                       QgsMapBoxGlStyleConverter, QgsReadWriteContext)
from qgis.PyQt.QtXml import QDomDocument  # noqa: E402

here = os.path.dirname(os.path.abspath(__file__))
src = sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, "..", "planning.json")
out = sys.argv[2] if len(sys.argv) > 2 else os.path.join(here, "planning.xml")

app = QgsApplication([], False)
app.initQgis()
conv = QgsMapBoxGlStyleConverter()
if conv.convert(json.load(open(src, encoding="utf-8")), QgsMapBoxGlStyleConversionContext()) != 0:
    sys.exit("conversion failed: " + conv.errorMessage())
doc = QDomDocument()
root = doc.createElement("gisd-qgis-style")
root.setAttribute("source", os.path.basename(src))
root.setAttribute("source-sha256", hashlib.sha256(open(src, "rb").read()).hexdigest())
doc.appendChild(root)
# as QgsVectorTileLayer writes its symbology into a project
ren = doc.createElement("renderer")
ren.setAttribute("type", conv.renderer().type())
conv.renderer().writeXml(ren, QgsReadWriteContext())
root.appendChild(ren)
lab = doc.createElement("labeling")
lab.setAttribute("type", conv.labeling().type())
conv.labeling().writeXml(lab, QgsReadWriteContext())
root.appendChild(lab)
# Qt writes attributes in a random order: sorted, the file is the same on every run
tree = ET.fromstring(doc.toString())
for el in tree.iter():
    items = sorted(el.attrib.items())
    el.attrib.clear()
    el.attrib.update(items)
ET.indent(tree, " ")
with open(out, "w", encoding="utf-8") as f:
    f.write(ET.tostring(tree, encoding="unicode") + "\n")
for w in conv.warnings():
    print("warning: " + w, file=sys.stderr)
app.exitQgis()
