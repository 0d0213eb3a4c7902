// Activation statistics against a direct float64 recomputation on the stored
// activations of a small calibration run of the bundled model.
#include "core/calib/calibrationdata.h"
#include "core/calib/calibrator.h"
#include "core/calib/outliers.h"
#include "core/calib/pythonrandom.h"
#include "core/calib/siteaccumulator.h"
#include "core/model/decoderlayer.h"
#include "core/model/llamamodel.h"
#include "core/model/modelloader.h"
#include "core/model/tokenizer.h"
#include "core/resources.h"

#include <ATen/ATen.h>
#include <QtTest>
#include <map>

using namespace ol;

namespace {

// Keeps every activation of every site (fine for 3 windows of 64 tokens).
class CaptureHook : public ActivationHook {
public:
    std::map<std::pair<int, int>, std::vector<at::Tensor>> seen;
    at::Tensor onActivation(int layer, Site site, const at::Tensor& x) override {
        at::Tensor v = x;
        if (!isLinearInput(site)) v = x.transpose(1, 2).reshape({x.size(0), x.size(2), x.size(1) * x.size(3)});
        seen[{layer, static_cast<int>(site)}].push_back(v.to(at::kDouble).clone());
        return x;
    }
};

void close(const at::Tensor& got, const at::Tensor& want, double tol, const char* what) {
    const double err = (got.to(at::kDouble) - want.to(at::kDouble)).abs().max().item<double>();
    const double scale = std::max(1.0, want.abs().max().item<double>());
    QVERIFY2(err <= tol * scale, qPrintable(QString("%1: max error %2").arg(what).arg(err)));
}

} // namespace

class TestStatistics : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void pythonRandomMatchesCPython() {
        // The window starts DuQuant's driver drew for 32 windows of 256 tokens
        // from the 69,498-token calibration text with seed 2 (shared/data README).
        const std::vector<std::int64_t> expected = {7412,  12004, 11124, 47324, 22162, 40388, 32975, 27815, 4683,  20759, 56448,
                                                    51581, 66724, 48766, 58307, 65806, 35158, 4708,  3597,  47712, 60934, 41741,
                                                    49809, 55523, 68911, 21559, 23256, 30949, 30225, 3127,  23163, 42617};
        PythonRandom rng(2);
        for (auto e : expected) QCOMPARE(rng.randint(0, 69498 - 256 - 1), e);
        PythonRandom big(12345678901234ULL); // a seed over 32 bits, and getrandbits over 32 bits (CPython 3.11)
        QCOMPARE(big.getrandbits(40), 614287875201ULL);
        QCOMPARE(big.getrandbits(64), 15225021769106859244ULL);
        QCOMPARE(big.randint(0, 10), 6);
    }

    void calibrationWindowsAsReference() {
        auto bundle = openModel({});
        CalibrationSettings s;
        s.textFiles = {bundledCalibText()};
        s.nsamples = 32;
        s.seqlen = 256;
        s.seed = 2;
        const auto d = buildCalibrationData(*bundle.tokenizer, s);
        QCOMPARE(d.textTokens, 69498);
        QCOMPARE(d.starts[0], 7412);
        QCOMPARE(d.starts[31], 42617);
        QCOMPARE(d.tokens.size(), std::size_t(32 * 256));
        const auto all = tokenizeTextFile(*bundle.tokenizer, bundledCalibText());
        QVERIFY(std::equal(d.tokens.begin(), d.tokens.begin() + 256, all.begin() + 7412));
        s.consecutive = true;
        const auto c = buildCalibrationData(*bundle.tokenizer, s);
        QCOMPARE(c.starts[1], 256);
        QVERIFY(c.fingerprint != d.fingerprint);
        s.nsamples = 1000;
        try {
            buildCalibrationData(*bundle.tokenizer, s);
            QFAIL("expected an error");
        } catch (const std::exception& e) {
            QVERIFY2(QString(e.what()).contains("69498 tokens"), e.what());
        }
    }

    void statisticsEqualFloat64Recomputation() {
        auto bundle = openModel({});
        CalibrationSettings s;
        s.textFiles = {bundledCalibText()};
        s.nsamples = 3;
        s.seqlen = 64;
        const auto data = buildCalibrationData(*bundle.tokenizer, s);
        LlamaModel model(bundle.checkpoint, c10::Device(c10::kCPU));
        CalibrationOptions o;
        o.batchSize = 2; // windows split over batches: 2 + 1
        o.accumulator.tileTokens = 16;
        o.accumulator.topK = 10;
        o.accumulator.tokenCap = 100; // cut inside the second window
        const auto result = runCalibration(model, data, o);
        QCOMPARE(result.sites.size(), std::size_t(5 * kSiteCount));

        // Reference: the same forward with every activation captured, batched
        // as the calibration was (2 + 1 windows) so the float32 activations are identical.
        CaptureHook capture;
        auto tokens = at::from_blob(const_cast<std::int32_t*>(data.tokens.data()), {3, 64}, at::kInt).to(at::kLong);
        model.forward(tokens.narrow(0, 0, 2), &capture);
        model.forward(tokens.narrow(0, 2, 1), &capture);

        for (const auto& st : result.sites) {
            const auto& parts = capture.seen.at({st.layer, static_cast<int>(st.site)});
            auto x = at::cat(parts, 0); // [3, 64, C]
            auto flat = x.reshape({-1, x.size(2)});
            const QByteArray where = QByteArray::fromStdString(st.moduleName() + " " + siteKey(st.site));
            QCOMPARE(st.channels, x.size(2));
            QCOMPARE(st.tokens, 3 * 64);
            close(st.absmax, flat.abs().amax(0), 1e-12, where + " absmax");
            close(st.min, flat.amin(0), 1e-12, where + " min");
            close(st.max, flat.amax(0), 1e-12, where + " max");
            close(st.mean, flat.mean(0), 1e-12, where + " mean");
            close(st.meanAbs, flat.abs().mean(0), 1e-12, where + " mean_abs");
            auto mu = flat.mean(0), var = flat.var(0, false);
            auto kurt = ((flat - mu).pow(4).mean(0)) / (var * var);
            close(st.kurtosis, kurt, 1e-8, where + " kurtosis");
            auto all = flat.flatten();
            const double tk = ((all - all.mean()).pow(4).mean() / all.var(false).pow(2)).item<double>();
            QVERIFY2(std::abs(st.tensorKurtosis - tk) < 1e-8 * std::max(1.0, tk), where);
            // act_shifts: first window sets, each later window blends 0.99/0.01.
            auto centre = [&](int w) { return (x[w].amax(0) + x[w].amin(0)) / 2; };
            auto shift = 0.99 * (0.99 * centre(0) + 0.01 * centre(1)) + 0.01 * centre(2);
            close(st.actShifts, shift, 1e-12, where + " act_shifts");
            close(st.actScales, flat.abs().amax(0), 1e-12, where + " act_scales");
            // Per-token maxima for the first 100 tokens (the cap).
            QCOMPARE(st.tokenAbsmax.numel(), 100);
            auto [tmax, targ] = flat.narrow(0, 0, 100).abs().max(1);
            close(st.tokenAbsmax, tmax, 1e-6, where + " token absmax"); // stored as float32
            QVERIFY2(st.tokenArgmax.equal(targ), where);
            // Top values: the 10 largest |x| with their positions.
            auto [topAbs, topIdx] = all.abs().topk(10);
            for (int i = 0; i < 10; ++i) {
                const auto& t = st.top[i];
                QVERIFY2(std::abs(std::abs(t.value) - topAbs[i].item<double>()) < 1e-5 * topAbs[0].item<double>(), where);
                QCOMPARE(static_cast<double>(t.value),
                         static_cast<double>(static_cast<float>(x[t.window][t.token][t.channel].item<double>())));
            }
            // Tile: the first 16 tokens of window 0.
            close(st.tile, x[0].narrow(0, 0, 16), 1e-6, where + " tile");
            // Histogram holds every value; the median is within one bin (1/30 decade) of the exact one.
            QCOMPARE(st.histogramCounts.sum().item<std::int64_t>() + st.belowHistogram, all.numel());
            const double exactMedian = all.abs().median().item<double>();
            QVERIFY2(std::abs(std::log10(st.medianAbs / exactMedian)) < 1.0 / 30 + 1e-9,
                     qPrintable(QString("%1 median %2 vs %3").arg(QString(where)).arg(st.medianAbs).arg(exactMedian)));
        }
    }

    void outlierClassification() {
        // Synthetic statistics: channel 3 is large in every token (normal), one value is huge (massive).
        SiteAccumulator acc(0, Site::DownInput, {});
        at::manual_seed(1);
        auto x = at::randn({1, 512, 64});
        x.select(2, 3) *= 30;
        x[0][7][11] = 5000;
        acc.add(x, 0);
        const auto s = acc.finish();
        const auto r = classifyOutliers(s);
        QCOMPARE(r.normalChannels, std::vector<std::int64_t>{3});
        QCOMPARE(r.massive.size(), std::size_t(1));
        QCOMPARE(r.massive[0].token, 7);
        QCOMPARE(r.massive[0].channel, 11);
        QCOMPARE(r.massiveChannels, std::vector<std::int64_t>{11});
        // Thresholds are adjustable: a higher normal ratio drops channel 3, a higher absolute bar the massive value.
        OutlierThresholds t;
        t.normalRatio = 100;
        t.massiveAbs = 1e4;
        const auto r2 = classifyOutliers(s, t);
        QVERIFY(r2.normalChannels.empty());
        QVERIFY(r2.massive.empty());
    }
};

QTEST_APPLESS_MAIN(TestStatistics)
#include "tst_statistics.moc"
