// models.js -- the networks `make bench` and bench/compare-blocks.js set
// against ONNX Runtime: their ONNX export (tests/golden/gen.py --full
// writes it), input size and report label.
'use strict';
module.exports = {
  b0: { dir: 'build/golden-full/b0-tv', h: 224, w: 224, name: 'EfficientNet-B0 224' },
  b4: { dir: 'build/golden-full/b4-tv', h: 380, w: 380, name: 'EfficientNet-B4 380' },
};
