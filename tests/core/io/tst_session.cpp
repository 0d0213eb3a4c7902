// The session file round-trips every statistic of a real calibration run.
#include "core/calib/calibrator.h"
#include "core/calib/session.h"
#include "core/errors.h"
#include "core/model/checkpoint.h"
#include "core/model/llamamodel.h"
#include "core/model/modelloader.h"
#include "core/resources.h"

#include <ATen/ATen.h>
#include <QtTest>
#include <filesystem>
#include <fstream>

using namespace ol;

class TestSession : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void roundTrip() {
        auto bundle = openModel({});
        CalibrationSettings s;
        s.textFiles = {bundledCalibText()};
        s.nsamples = 2;
        s.seqlen = 32;
        const auto data = buildCalibrationData(*bundle.tokenizer, s);
        LlamaModel model(bundle.checkpoint, c10::Device(c10::kCPU));
        const auto result = runCalibration(model, data, {});
        std::filesystem::create_directories(OL_TEST_OUTPUT_DIR);
        const std::string path = std::string(OL_TEST_OUTPUT_DIR) + "/roundtrip.h5";
        writeSession(path, makeSessionInfo(*bundle.checkpoint, data, result.seconds), result.sites);
        // The user block the MIME database matches, then HDF5's signature at 512 (where h5py and h5dump look).
        std::ifstream raw(path, std::ios::binary);
        std::string head(520, '\0');
        raw.read(head.data(), 520);
        QCOMPARE(head.substr(0, 19), std::string("OutlierLab session\n"));
        QCOMPARE(head.substr(512, 8), std::string("\x89HDF\r\n\x1a\n"));

        SessionReader r(path);
        QCOMPARE(r.info().model.fingerprint, bundle.checkpoint->fingerprint());
        QCOMPARE(r.info().calibration.nsamples, 2);
        QCOMPARE(r.info().calibration.seqlen, 32);
        QCOMPARE(r.info().starts, data.starts);
        QCOMPARE(r.info().calibrationFingerprint, data.fingerprint);
        QCOMPARE(r.sites().size(), result.sites.size());
        QCOMPARE(r.numLayers(), 5);
        for (const auto& w : result.sites) {
            const auto g = r.statistics(w.layer, w.site);
            QCOMPARE(g.channels, w.channels);
            QCOMPARE(g.tokens, w.tokens);
            for (auto [a, b] : {std::pair{g.absmax, w.absmax},
                                {g.min, w.min},
                                {g.max, w.max},
                                {g.mean, w.mean},
                                {g.kurtosis, w.kurtosis},
                                {g.actShifts, w.actShifts},
                                {g.tokenAbsmax, w.tokenAbsmax},
                                {g.tokenArgmax, w.tokenArgmax},
                                {g.histogramCounts, w.histogramCounts},
                                {g.tile, w.tile}})
                QVERIFY(a.equal(b));
            QCOMPARE(g.top.size(), w.top.size());
            QCOMPARE(g.top[0].value, w.top[0].value);
            QCOMPARE(g.top[3].channel, w.top[3].channel);
            QCOMPARE(g.medianAbs, w.medianAbs);
            QCOMPARE(g.moduleName(), w.moduleName());
        }
    }

    void refusesOtherFiles() {
        try {
            SessionReader r(bundledEvalText());
            QFAIL("expected an error");
        } catch (const FormatError& e) {
            QVERIFY2(QString(e.what()).contains("stories-eval.txt"), e.what());
        }
    }
};

QTEST_APPLESS_MAIN(TestSession)
#include "tst_session.moc"
