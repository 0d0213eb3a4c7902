// The memory estimate's arithmetic and its refusal; its agreement with the
// measured peak of the real binary is checked in tests/app/tst_scale.
#include "core/errors.h"
#include "core/model/modelconfig.h"
#include "core/workflow/memoryestimate.h"

#include <QtTest>

using namespace ol;

namespace {

ModelConfig llama7b() {
    ModelConfig c;
    c.hiddenSize = 4096;
    c.intermediateSize = 11008;
    c.numLayers = 32;
    c.numHeads = c.numKvHeads = 32;
    c.headDim = 128;
    c.vocabSize = 32000;
    return c;
}

} // namespace

class TestMemoryEstimate : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void sizesParse() {
        QCOMPARE(parseMemorySize("8G", "--max_memory"), 8ll << 30);
        QCOMPARE(parseMemorySize("512M", "--max_memory"), 512ll << 20);
        QCOMPARE(parseMemorySize("1.5GB", "--max_memory"), 3ll << 29);
        QCOMPARE(parseMemorySize("4096", "--max_memory"), 4096ll);
        for (const char* bad : {"", "G", "-1G", "0", "8X", "lots", "1e30G"}) {
            try {
                parseMemorySize(bad, "--max_memory");
                QFAIL(bad);
            } catch (const UsageError& e) {
                QVERIFY2(QString(e.what()).contains("not a memory size"), e.what());
            }
        }
        QCOMPARE(formatBytes(3ll << 29), std::string("1.50 GiB"));
        QCOMPARE(formatBytes(100ll << 20), std::string("100 MiB"));
    }

    // LLaMA-7B: a layer is 202.4M parameters (4·4096² + 3·4096·11008 + 2·4096).
    void footprintOfA7bModel() {
        const auto f = ModelFootprint::of(llama7b(), 2);
        QCOMPARE(f.layerParams, 4ll * 4096 * 4096 + 3ll * 4096 * 11008 + 2 * 4096);
        QCOMPARE(f.largestTensor, 4096ll * 11008);
        QCOMPARE(f.totalParams, 32 * f.layerParams + 2ll * 32000 * 4096 + 4096);
    }

    // Streaming keeps eval of a 7B model near one layer; resident it is the whole model in float32.
    void evalStreamsAndResidentDoesNot() {
        const auto c = llama7b();
        const auto f = ModelFootprint::of(c, 2);
        EvalJob job;
        job.seqlen = 512;
        job.batch = 2;
        const auto streamed = estimateEval(c, f, job);
        QVERIFY2(streamed.peakBytes() < (3ll << 30), streamed.describe().c_str());
        job.resident = true;
        QVERIFY(estimateEval(c, f, job).peakBytes() > 4 * f.totalParams);
    }

    // Calibration activations grow with nsamples × seqlen, and spilled they cost one batch.
    void activationsGrowWithWindowsUnlessSpilled() {
        const auto c = llama7b();
        const auto f = ModelFootprint::of(c, 2);
        const auto small = estimateCalibration(c, f, 16, 2048, 4), large = estimateCalibration(c, f, 128, 2048, 4);
        QCOMPARE(large.peakBytes() - small.peakBytes(), 2ll * (128 - 16) * 2048 * 4096 * 4);
        const auto spilled = estimateCalibration(c, f, 128, 2048, 4, 0);
        QVERIFY(spilled.peakBytes() < small.peakBytes());
        QuantizeJob q;
        q.nsamples = 128;
        q.seqlen = 2048;
        q.training = q.sampleInputs = true;
        const auto trained = estimateQuantize(c, f, q);
        q.spillAbove = 0;
        QVERIFY(estimateQuantize(c, f, q).peakBytes() + 3ll * 128 * 2048 * 4096 * 4 / 2 < trained.peakBytes());
    }

    void refusalSaysWhatAndWhy() {
        MemoryEstimate e;
        e.stage = "calibration";
        e.terms = {{"runtime", 180ll << 20}, {"calibration activations", 3ll << 30}};
        requireMemory(e, {4ll << 30, "available"}, "advice");
        try {
            requireMemory(e, {1ll << 30, "given by --max_memory"}, "use fewer --nsamples");
            QFAIL("expected a refusal");
        } catch (const UsageError& err) {
            const QString m = err.what();
            QVERIFY2(m.contains("this job needs about 3.18 GiB at calibration") &&
                         m.contains("calibration activations 3.00 GiB") && m.contains("1.00 GiB given by --max_memory") &&
                         m.contains("use fewer --nsamples"),
                     err.what());
        }
    }
};

QTEST_GUILESS_MAIN(TestMemoryEstimate)
#include "tst_memoryestimate.moc"
