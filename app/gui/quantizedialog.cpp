#include "quantizedialog.h"

#include "core/eval/taskdocs.h"

#include <QCheckBox>
#include <QDialogButtonBox>
#include <QDir>
#include <QFileDialog>
#include <QFileInfo>
#include <QFormLayout>
#include <QGridLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSpinBox>
#include <QVBoxLayout>

namespace olv {

namespace {
QHBoxLayout* withBrowse(QLineEdit* edit, QPushButton* browse) {
    auto* row = new QHBoxLayout;
    row->addWidget(edit, 1);
    row->addWidget(browse);
    return row;
}
} // namespace

QuantizeDialog::QuantizeDialog(const QString& suggestedExportDir, const EvaluationChoice& previous, QWidget* parent)
    : QDialog(parent), m_exportDir(new QLineEdit(suggestedExportDir, this)),
      m_perplexity(new QCheckBox(tr("Perplexity of the evaluation text"), this)),
      m_taskDir(new QLineEdit(previous.taskDir, this)), m_taskLimit(new QSpinBox(this)), m_mmlu(new QCheckBox(tr("MMLU"), this)),
      m_mmluDir(new QLineEdit(previous.mmluDir, this)), m_mmluShots(new QSpinBox(this)), m_problem(new QLabel(this)),
      m_buttons(new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, this)) {
    setWindowTitle(tr("Quantize & Export"));
    auto* browseExport = new QPushButton(tr("Browse…"), this);
    connect(browseExport, &QPushButton::clicked, this, [this] {
        const auto dir = QFileDialog::getSaveFileName(this, tr("Export directory (created)"), m_exportDir->text());
        if (!dir.isEmpty()) m_exportDir->setText(dir);
    });
    auto* browseTasks = new QPushButton(tr("Browse…"), this);
    connect(browseTasks, &QPushButton::clicked, this, [this] {
        const auto dir = QFileDialog::getExistingDirectory(this, tr("Folder with <task>.jsonl files"), m_taskDir->text());
        if (!dir.isEmpty()) m_taskDir->setText(dir);
    });
    m_perplexity->setChecked(previous.perplexity);
    m_taskDir->setPlaceholderText(tr("folder holding piqa.jsonl, arc_easy.jsonl, … (see docs/evaluation.md)"));
    m_taskLimit->setRange(0, 1000000);
    m_taskLimit->setSpecialValueText(tr("all"));
    m_taskLimit->setValue(previous.taskLimit < 0 ? 0 : static_cast<int>(previous.taskLimit));
    m_taskLimit->setToolTip(tr("evaluate the first documents of each task only (--task_limit)"));

    auto* browseMmlu = new QPushButton(tr("Browse…"), this);
    connect(browseMmlu, &QPushButton::clicked, this, [this] {
        const auto dir = QFileDialog::getExistingDirectory(this, tr("MMLU data (dev/ and test/)"), m_mmluDir->text());
        if (!dir.isEmpty()) m_mmluDir->setText(dir);
    });
    m_mmlu->setChecked(!previous.mmluDir.isEmpty());
    m_mmluDir->setPlaceholderText(tr("folder holding dev/<subject>_dev.csv and test/<subject>_test.csv"));
    m_mmluShots->setRange(0, 64);
    m_mmluShots->setValue(previous.mmluShots);
    m_mmluShots->setSuffix(tr("-shot"));
    auto* mmluRow = new QHBoxLayout;
    mmluRow->addWidget(m_mmlu);
    mmluRow->addWidget(m_mmluShots);
    mmluRow->addWidget(m_mmluDir, 1);
    mmluRow->addWidget(browseMmlu);
    connect(m_mmlu, &QCheckBox::toggled, this, &QuantizeDialog::check);
    connect(m_mmluDir, &QLineEdit::textChanged, this, &QuantizeDialog::check);
    auto* grid = new QGridLayout;
    int i = 0;
    for (const auto& t : ol::knownTasks()) {
        const auto name = QString::fromStdString(t.name);
        auto* box = new QCheckBox(name, this);
        box->setChecked(previous.tasks.contains(name));
        connect(box, &QCheckBox::toggled, this, &QuantizeDialog::check);
        m_tasks[name] = box;
        grid->addWidget(box, i / 4, i % 4);
        ++i;
    }
    auto* evalBox = new QGroupBox(tr("Evaluate the FP and the quantized model"), this);
    auto* evalForm = new QFormLayout(evalBox);
    evalForm->addRow(m_perplexity);
    evalForm->addRow(tr("Zero-shot tasks"), grid);
    evalForm->addRow(tr("Task folder"), withBrowse(m_taskDir, browseTasks));
    evalForm->addRow(tr("Documents per task"), m_taskLimit);
    evalForm->addRow(tr("Benchmark"), mmluRow);
    evalForm->addRow(new QLabel(tr("Tasks are scored as lm-evaluation-harness v0.4 does (acc, acc_norm), MMLU as the "
                                   "original evaluation; FP results are computed once per calibration and reused."),
                                this));
    m_problem->setStyleSheet(QStringLiteral("color: #b00020"));
    m_problem->setWordWrap(true);
    auto* form = new QFormLayout;
    form->addRow(tr("Export directory"), withBrowse(m_exportDir, browseExport));
    auto* layout = new QVBoxLayout(this);
    layout->addLayout(form);
    layout->addWidget(evalBox);
    layout->addWidget(m_problem);
    layout->addWidget(m_buttons);
    connect(m_buttons, &QDialogButtonBox::accepted, this, &QDialog::accept);
    connect(m_buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    connect(m_exportDir, &QLineEdit::textChanged, this, &QuantizeDialog::check);
    connect(m_taskDir, &QLineEdit::textChanged, this, &QuantizeDialog::check);
    check();
}

QString QuantizeDialog::exportDir() const { return m_exportDir->text().trimmed(); }

EvaluationChoice QuantizeDialog::evaluation() const {
    EvaluationChoice e;
    e.perplexity = m_perplexity->isChecked();
    for (const auto& [name, box] : m_tasks)
        if (box->isChecked()) e.tasks << name;
    // knownTasks() order, as the papers list them.
    QStringList ordered;
    for (const auto& t : ol::knownTasks())
        if (e.tasks.contains(QString::fromStdString(t.name))) ordered << QString::fromStdString(t.name);
    e.tasks = ordered;
    e.taskDir = m_taskDir->text().trimmed();
    e.taskLimit = m_taskLimit->value() == 0 ? -1 : m_taskLimit->value();
    if (m_mmlu->isChecked()) e.mmluDir = m_mmluDir->text().trimmed();
    e.mmluShots = m_mmluShots->value();
    return e;
}

QString QuantizeDialog::problem() const {
    if (exportDir().isEmpty()) return tr("Choose an export directory.");
    const auto e = evaluation();
    if (m_mmlu->isChecked() && !QFileInfo(QDir(m_mmluDir->text().trimmed()).filePath(QStringLiteral("test"))).isDir())
        return tr("Choose the MMLU folder (it holds test/<subject>_test.csv).");
    if (e.tasks.isEmpty()) return {};
    if (e.taskDir.isEmpty() || !QFileInfo(e.taskDir).isDir()) return tr("Choose the folder holding the tasks' .jsonl files.");
    QStringList missing;
    for (const auto& t : e.tasks)
        if (!QFileInfo::exists(QDir(e.taskDir).filePath(t + QStringLiteral(".jsonl")))) missing << t + QStringLiteral(".jsonl");
    return missing.isEmpty() ? QString() : tr("Missing in the task folder: %1").arg(missing.join(QStringLiteral(", ")));
}

void QuantizeDialog::check() {
    const auto p = problem();
    m_problem->setText(p);
    m_problem->setVisible(!p.isEmpty());
    m_buttons->button(QDialogButtonBox::Ok)->setEnabled(p.isEmpty());
}

} // namespace olv
