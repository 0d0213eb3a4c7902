// Bounded memory with the real binary: a synthetic LLaMA-shaped model whose
// float32 weights are several times the resident memory each command is
// allowed (peak RSS of the CLI child from wait4), evaluated, quantized,
// exported and reloaded; the memory estimate printed beside the measured peak;
// an impossible job refused before it writes anything; calibration
// activations spilled to a file give bit-identical results.
#include "clirunner.h"
#include "sanitizerbuild.h"

#include "core/io/safetensors.h"

#include <ATen/ATen.h>
#include <QDir>
#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QtTest>
#include <fcntl.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

namespace {

// 16 layers of hidden 1536 / intermediate 4096, F16: 0.9 GB on disk, 1.8 GB in float32. The
// vocabulary is the bundled tokenizer's, so the bundled texts tokenize for it.
constexpr int kLayers = 16, kHidden = 1536, kInter = 4096, kHeads = 12, kVocab = 512;

std::int64_t float32Bytes() {
    const std::int64_t layer = 4ll * kHidden * kHidden + 3ll * kHidden * kInter + 2 * kHidden;
    return 4 * (kLayers * layer + 2ll * kVocab * kHidden + kHidden);
}

void writeSyntheticModel(const QString& dir) {
    QDir().mkpath(dir);
    QFile config(dir + "/config.json");
    QVERIFY(config.open(QIODevice::WriteOnly));
    config.write(QString(R"({"architectures": ["LlamaForCausalLM"], "model_type": "llama", "hidden_size": %1,
        "intermediate_size": %2, "num_hidden_layers": %3, "num_attention_heads": %4, "num_key_value_heads": %4,
        "vocab_size": %5, "max_position_embeddings": 1024, "rms_norm_eps": 1e-5, "rope_theta": 10000.0,
        "hidden_act": "silu", "tie_word_embeddings": false, "torch_dtype": "float16"})")
                     .arg(kHidden)
                     .arg(kInter)
                     .arg(kLayers)
                     .arg(kHeads)
                     .arg(kVocab)
                     .toUtf8());
    config.close();
    QVERIFY(QFile::copy(QString(OL_RESOURCES_DIR) + "/demo/tok512.bin", dir + "/tokenizer.bin"));

    std::vector<std::pair<std::string, std::vector<std::int64_t>>> tensors{{"model.embed_tokens.weight", {kVocab, kHidden}}};
    for (int i = 0; i < kLayers; ++i) {
        const std::string p = "model.layers." + std::to_string(i) + ".";
        tensors.push_back({p + "input_layernorm.weight", {kHidden}});
        for (const char* m : {"q_proj", "k_proj", "v_proj", "o_proj"})
            tensors.push_back({p + "self_attn." + m + ".weight", {kHidden, kHidden}});
        tensors.push_back({p + "post_attention_layernorm.weight", {kHidden}});
        tensors.push_back({p + "mlp.gate_proj.weight", {kInter, kHidden}});
        tensors.push_back({p + "mlp.up_proj.weight", {kInter, kHidden}});
        tensors.push_back({p + "mlp.down_proj.weight", {kHidden, kInter}});
    }
    tensors.push_back({"model.norm.weight", {kHidden}});
    tensors.push_back({"lm_head.weight", {kVocab, kHidden}});
    ol::SafetensorsWriter writer((dir + "/model.safetensors").toStdString());
    for (const auto& [name, shape] : tensors) writer.declare(name, ol::DType::F16, shape);
    at::manual_seed(7);
    for (const auto& [name, shape] : tensors) {
        const bool norm = shape.size() == 1;
        writer.write(name, (norm ? at::ones(shape) : at::randn(shape) * 0.02).to(at::kHalf));
    }
    writer.commit();
}

struct Measured {
    int exitCode = -1;
    QString out, err;
    std::int64_t peakBytes = 0; // the child's peak RSS
    pid_t pid = 0;
};

// The CLI as a child process, its peak resident memory from wait4 (QProcess does not report it).
Measured runMeasured(const QStringList& args, const QString& scratch) {
    const QByteArray cli = qgetenv("OUTLIERLAB_CLI");
    std::vector<QByteArray> owned{cli};
    for (const auto& a : args) owned.push_back(a.toLocal8Bit());
    std::vector<char*> argv;
    for (auto& a : owned) argv.push_back(a.data());
    argv.push_back(nullptr);
    const QByteArray outPath = (scratch + "/stdout.txt").toLocal8Bit(), errPath = (scratch + "/stderr.txt").toLocal8Bit();
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 1, outPath.constData(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_addopen(&actions, 2, errPath.constData(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    Measured m;
    pid_t pid = 0;
    if (posix_spawn(&pid, cli.constData(), &actions, nullptr, argv.data(), environ) != 0) return m;
    posix_spawn_file_actions_destroy(&actions);
    m.pid = pid;
    int status = 0;
    rusage usage{};
    if (::wait4(pid, &status, 0, &usage) != pid) return m;
    m.exitCode = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    m.peakBytes = static_cast<std::int64_t>(usage.ru_maxrss) * 1024;
    QFile o(scratch + "/stdout.txt"), e(scratch + "/stderr.txt");
    if (o.open(QIODevice::ReadOnly)) m.out = QString::fromUtf8(o.readAll());
    if (e.open(QIODevice::ReadOnly)) m.err = QString::fromUtf8(e.readAll());
    return m;
}

QJsonObject lastJson(const QString& out) { return QJsonDocument::fromJson(out.trimmed().toUtf8()).object(); }

double mb(std::int64_t bytes) { return bytes / 1e6; }

// The estimate the CLI printed, within 25% of the peak measured.
void checkEstimate(const QJsonObject& j, std::int64_t peak, const char* what) {
    const double estimate = j["memory"].toObject()["estimate_bytes"].toDouble();
    qInfo("%s: peak RSS %.0f MB, estimate %.0f MB (%+.0f%%)", what, mb(peak), estimate / 1e6, 100.0 * (estimate / peak - 1));
    if (kSanitizerBuild) return; // the peak is the sanitizer's (sanitizerbuild.h)
    QVERIFY2(std::abs(estimate / peak - 1.0) <= 0.25, what);
}

// peak < bound, in the ordinary build (sanitizerbuild.h).
bool peakWithin(std::int64_t peak, std::int64_t bound) { return kSanitizerBuild || peak < bound; }

class TestScale : public QObject {
    Q_OBJECT
private:
    QTemporaryDir m_dir;
    QString m_model;
    double m_quantPpl = 0;

private Q_SLOTS:
    void initTestCase() {
        QVERIFY2(!qgetenv("OUTLIERLAB_CLI").isEmpty(), "OUTLIERLAB_CLI not set (run through ctest)");
        m_model = m_dir.filePath("synthetic");
        writeSyntheticModel(m_model);
    }

    void evalHoldsOneLayer() {
        const auto r =
            runMeasured({"eval", "--model", m_model, "--seqlen", "256", "--nsamples", "2", "--json", "--quiet"}, m_dir.path());
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        const auto j = lastJson(r.out);
        QVERIFY(std::isfinite(j["ppl"].toDouble()));
        // A third of the model's float32 size; resident it would need 1.8 GB plus the mapped file.
        QVERIFY2(peakWithin(r.peakBytes, float32Bytes() / 3), qPrintable(QString("peak %1 MB").arg(mb(r.peakBytes))));
        checkEstimate(j, r.peakBytes, "eval");
    }

    void quantizeExportAndReloadHoldOneLayer() {
        const auto exportDir = m_dir.filePath("rtn-export");
        const auto r = runMeasured({"quantize", "--model", m_model,      "--method", "rtn",      "--wbits", "4",
                                    "--abits",  "4",       "--nsamples", "4",        "--seqlen", "256",     "--eval_ppl",
                                    "--limit",  "2",       "--export",   exportDir,  "--json",   "--quiet"},
                                   m_dir.path());
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        const auto j = lastJson(r.out);
        m_quantPpl = j["quant_ppl"].toDouble();
        QVERIFY(std::isfinite(m_quantPpl));
        // The quantized layers leave memory as they are finished (a temporary run store) and stream back.
        QVERIFY2(peakWithin(r.peakBytes, float32Bytes() / 2), qPrintable(QString("peak %1 MB").arg(mb(r.peakBytes))));
        checkEstimate(j, r.peakBytes, "quantize rtn");
        const auto store = QString("outlierlab-run-%1-*").arg(r.pid);
        QVERIFY(QDir(QDir::tempPath()).entryList({store}, QDir::Dirs).isEmpty()); // the temporary store is gone

        const auto reload =
            runMeasured({"eval", "--model", exportDir, "--seqlen", "256", "--nsamples", "2", "--json", "--quiet"}, m_dir.path());
        QVERIFY2(reload.exitCode == 0, qPrintable(reload.err));
        QVERIFY(std::abs(lastJson(reload.out)["ppl"].toDouble() / m_quantPpl - 1.0) < 1e-5);
        QVERIFY2(peakWithin(reload.peakBytes, float32Bytes() / 3), qPrintable(QString("peak %1 MB").arg(mb(reload.peakBytes))));
    }

    void impossibleJobIsRefusedBeforeWriting() {
        const auto save = m_dir.filePath("refused-run"), exportDir = m_dir.filePath("refused-export");
        const auto r = runCli({"quantize", "--model", m_model, "--method", "rtn", "--nsamples", "4", "--seqlen", "256",
                               "--max_memory", "100M", "--save_dir", save, "--export", exportDir, "--quiet"});
        QCOMPARE(r.exitCode, 2);
        QVERIFY2(r.err.contains("this job needs about") && r.err.contains("100 MiB given by --max_memory") &&
                     r.err.contains("--nsamples"),
                 qPrintable(r.err));
        QVERIFY(!QFile::exists(save));
        QVERIFY(!QFile::exists(exportDir));
        const auto e = runCli({"eval", "--model", m_model, "--max_memory", "100M"});
        QCOMPARE(e.exitCode, 2);
        QVERIFY2(e.err.contains("--batch_size"), qPrintable(e.err));
        const auto bad = runCli({"eval", "--max_memory", "lots"});
        QCOMPARE(bad.exitCode, 2);
        QVERIFY2(bad.err.contains("--max_memory lots: not a memory size"), qPrintable(bad.err));
    }

    // Spilled calibration activations are the same float32 values in a file: the same export bit for bit,
    // for a method that carries one averaged window (DuQuant) and one that carries every window (RPTQ).
    void spilledActivationsAreExact_data() {
        QTest::addColumn<QStringList>("method");
        QTest::newRow("duquant") << QStringList{"--method", "duquant", "--max_rotation_step", "32"};
        QTest::newRow("rptq") << QStringList{"--method", "rptq"};
    }
    void spilledActivationsAreExact() {
        QFETCH(QStringList, method);
        // The flag reaches the allocator: an unusable spill directory fails the run (a quantization that
        // ignored --spill would pass the comparison below without spilling anything).
        const auto refused = runCli(QStringList{"quantize", "--spill", "always", "--spill_dir", "/proc", "--quiet"} + method);
        QVERIFY2(refused.exitCode != 0 && refused.err.contains("/proc: cannot create a spill file"), qPrintable(refused.err));
        QByteArray hashes[2];
        QString ppl[2];
        const char* modes[2] = {"never", "always"};
        for (int k = 0; k < 2; ++k) {
            const auto out = m_dir.filePath(QString("spill-%1-%2").arg(method[1], modes[k]));
            const auto r = runCli(QStringList{"quantize", "--spill", modes[k], "--spill_dir", m_dir.path(), "--eval_ppl",
                                              "--limit", "10", "--export", out, "--json", "--quiet"} +
                                  method);
            QVERIFY2(r.exitCode == 0, qPrintable(r.err));
            hashes[k] = hashOfExport(out);
            QVERIFY(!hashes[k].isEmpty());
            ppl[k] = QString::number(lastJson(r.out)["quant_ppl"].toDouble(), 'g', 17);
        }
        QCOMPARE(hashes[1], hashes[0]);
        QCOMPARE(ppl[1], ppl[0]);
    }
};

} // namespace

QTEST_GUILESS_MAIN(TestScale)
#include "tst_scale.moc"
