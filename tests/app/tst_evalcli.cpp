// outlierlab-cli's evaluations end to end: zero-shot tasks on eval, quantize (FP and quantized in one run),
// an export and batch; MMLU with its CSV; generate; and the errors for bad evaluation flags and files.
#include "clirunner.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QtTest>

namespace {

const QString kTasks = QStringLiteral(OL_TEST_DATA_DIR "/tasks");
const QString kMmlu = QStringLiteral(OL_TEST_DATA_DIR "/mmlu/good");

QJsonObject parseJson(const QString& text) { return QJsonDocument::fromJson(text.toUtf8()).object(); }
// tasks[task][metric]
QJsonValue valueOf(const QJsonObject& tasks, const QString& task, const QString& name) { return tasks[task].toObject()[name]; }

} // namespace

class TestEvalCli : public QObject {
    Q_OBJECT
    QTemporaryDir m_dir;
    QString path(const QString& name) const { return m_dir.filePath(name); }
    QJsonObject m_fpTasks;

private Q_SLOTS:
    void evalTasks() {
        const auto r =
            runCli({"eval", "--no_ppl", "--tasks", "piqa,boolq,lambada_openai", "--task_dir", kTasks, "--json", "--quiet"});
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        const auto j = parseJson(r.out);
        m_fpTasks = j["tasks"].toObject();
        QCOMPARE(m_fpTasks.keys(), (QStringList{"boolq", "lambada_openai", "piqa"}));
        QCOMPARE(valueOf(m_fpTasks, "piqa", "documents").toInt(), 5);
        QVERIFY(m_fpTasks["piqa"].toObject().contains("acc_norm"));
        QVERIFY(!m_fpTasks["boolq"].toObject().contains("acc_norm")); // lm-eval's boolq reports acc only
        QVERIFY(valueOf(m_fpTasks, "lambada_openai", "perplexity").toDouble() > 1);
        QCOMPARE(j["harness_compat"].toString(), QStringLiteral("none"));
        QVERIFY(!j.contains("ppl"));
        // The same through the text table.
        const auto t = runCli({"eval", "--no_ppl", "--tasks", "piqa", "--task_dir", kTasks, "--quiet"});
        QVERIFY2(t.out.contains("piqa             acc_norm"), qPrintable(t.out));
    }

    // FP and quantized in one run; the FP numbers equal eval's; an export evaluates to the run's quantized ones.
    void quantizeEvaluatesFpAndQuantized() {
        const auto r = runCli({"quantize", "--method", "rtn", "--wbits", "4", "--abits", "4", "--nsamples", "4", "--tasks",
                               "piqa,boolq,lambada_openai", "--task_dir", kTasks, "--export", path("rtn"), "--json", "--quiet"});
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        const auto tasks = parseJson(r.out)["tasks"].toObject();
        QCOMPARE(valueOf(tasks["fp"].toObject(), "piqa", "acc").toDouble(), valueOf(m_fpTasks, "piqa", "acc").toDouble());
        QCOMPARE(valueOf(tasks["fp"].toObject(), "lambada_openai", "perplexity").toDouble(),
                 valueOf(m_fpTasks, "lambada_openai", "perplexity").toDouble());
        const auto quantized = tasks["quantized"].toObject();
        // W4A4 RTN moves this tiny model's lambada perplexity (FP ~15) far up.
        QVERIFY(valueOf(quantized, "lambada_openai", "perplexity").toDouble() >
                valueOf(m_fpTasks, "lambada_openai", "perplexity").toDouble());
        const auto e = runCli({"eval", "--model", path("rtn"), "--no_ppl", "--tasks", "piqa,boolq,lambada_openai", "--task_dir",
                               kTasks, "--json", "--quiet"});
        QVERIFY2(e.exitCode == 0, qPrintable(e.err));
        const auto exported = parseJson(e.out)["tasks"].toObject();
        for (const auto& task : {"piqa", "boolq", "lambada_openai"})
            for (const auto& metric : {"acc", "perplexity"})
                if (quantized[task].toObject().contains(metric)) {
                    const double a = valueOf(quantized, task, metric).toDouble(), b = valueOf(exported, task, metric).toDouble();
                    QVERIFY2(std::abs(a - b) <= 1e-9 * std::max(1.0, std::abs(a)),
                             qPrintable(QString("%1 %2").arg(task, metric)));
                }
        // The summary prints the side-by-side table.
        const auto text =
            runCli({"quantize", "--method", "rtn", "--nsamples", "4", "--tasks", "boolq", "--task_dir", kTasks, "--quiet"});
        QVERIFY2(text.out.contains("FP  quantized"), qPrintable(text.out));
    }

    void quantizeEvaluatesMmlu() {
        const auto r = runCli({"quantize", "--method", "rtn", "--nsamples", "4", "--eval_mmlu", "--mmlu_data_dir", kMmlu,
                               "--mmlu_shots", "1", "--mmlu_csv", path("q-mmlu.csv"), "--json", "--quiet"});
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        const auto mmlu = parseJson(r.out)["mmlu"].toObject();
        QCOMPARE(mmlu["fp"].toObject()["questions"].toInt(), 12);
        QCOMPARE(mmlu["quantized"].toObject()["shots"].toInt(), 1);
        QFile csv(path("q-mmlu.csv"));
        QVERIFY(csv.open(QIODevice::ReadOnly));
        QCOMPARE(csv.readLine().trimmed(), QByteArray("subject,category,questions,fp_accuracy,quantized_accuracy"));
    }

    void batchHasTaskColumns() {
        QFile recipe(path("tasks.json"));
        QVERIFY(recipe.open(QIODevice::WriteOnly));
        recipe.write(
            R"({"eval_ppl": false, "tasks": "boolq", "task_dir": ")" + kTasks.toUtf8() + R"(", "mmlu_data_dir": ")" +
            kMmlu.toUtf8() +
            R"(", "mmlu_shots": 0, "calibration": {"nsamples": 4}, "runs": [{"method": "rtn"}, {"method": "rtn", "wbits": 8, "abits": 8}]})");
        recipe.close();
        const auto r = runCli({"batch", path("tasks.json"), "--csv", path("tasks.csv"), "--quiet"});
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        QVERIFY2(r.out.contains("boolq acc FP | boolq acc | MMLU FP | MMLU |"), qPrintable(r.out));
        QFile csv(path("tasks.csv"));
        QVERIFY(csv.open(QIODevice::ReadOnly));
        QVERIFY(csv.readLine().trimmed().endsWith("boolq_acc_fp,boolq_acc,mmlu_fp,mmlu"));
    }

    void mmluTableAndCsv() {
        const auto r = runCli({"eval", "--no_ppl", "--eval_mmlu", "--mmlu_data_dir", kMmlu, "--mmlu_shots", "2", "--mmlu_csv",
                               path("mmlu.csv"), "--quiet"});
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        QVERIFY2(r.out.contains("average (micro)") && r.out.contains("abstract_algebra"), qPrintable(r.out));
        QFile csv(path("mmlu.csv"));
        QVERIFY(csv.open(QIODevice::ReadOnly));
        QCOMPARE(csv.readLine().trimmed(), QByteArray("subject,category,questions,correct,accuracy"));
    }

    void generateGreedyAndSampled() {
        const QStringList base = {"generate", "--prompt", "Once upon a time", "--max_new_tokens", "30", "--json", "--quiet"};
        const auto a = parseJson(runCli(base).out), b = parseJson(runCli(base + QStringList{"--no_cache"}).out);
        QVERIFY(a["text"].toString().size() > 20);
        QCOMPARE(a["text"], b["text"]); // the KV cache changes nothing
        QCOMPARE(b["kv_cache"].toBool(), false);
        const QStringList sampled = base + QStringList{"--temperature", "0.8", "--top_p", "0.9", "--seed", "3"};
        QCOMPARE(parseJson(runCli(sampled).out)["text"], parseJson(runCli(sampled).out)["text"]);
    }

    void badEvaluationInput() {
        auto expect = [](const QStringList& args, int code, const QString& text) {
            const auto r = runCli(args);
            QVERIFY2(r.exitCode == code && r.err.contains(text), qPrintable(QString::number(r.exitCode) + ": " + r.err));
        };
        expect({"eval", "--task_dir", kTasks}, 2, "--task_dir needs --tasks");
        expect({"eval", "--tasks", "piqa,mmlu", "--task_dir", kTasks}, 2, "unknown task 'mmlu'");
        expect({"eval", "--tasks", "piqa"}, 2, "--tasks needs --task_dir");
        expect({"eval", "--tasks", "piqa", "--task_dir", kTasks + "/bad"}, 2, "has no piqa.jsonl");
        expect({"eval", "--tasks", "piqa", "--task_dir", kTasks, "--harness_compat", "v3"}, 2, "--harness_compat: 'v3'");
        QDir().mkpath(path("badtasks"));
        QFile::copy(kTasks + "/bad/missing.jsonl", path("badtasks/piqa.jsonl"));
        expect({"eval", "--no_ppl", "--tasks", "piqa", "--task_dir", path("badtasks")}, 1,
               "piqa.jsonl:2: piqa document: field 'sol1' missing");
        expect({"eval", "--tasks", "piqa", "--task_dir", kTasks, "--context_reuse", "maybe"}, 2, "--context_reuse: 'maybe'");
        expect({"eval", "--eval_mmlu"}, 2, "--eval_mmlu needs --mmlu_data_dir");
        expect({"eval", "--mmlu_shots", "3"}, 2, "--mmlu_shots needs --eval_mmlu");
        expect({"eval", "--eval_mtbench"}, 2, "--eval_mtbench needs --mtbench_questions");
        expect({"generate"}, 2, "generate needs --prompt");
        expect({"generate", "--prompt", "x", "--top_p", "0"}, 2, "--top_p must be in (0, 1]");
    }
};

QTEST_GUILESS_MAIN(TestEvalCli)
#include "tst_evalcli.moc"
