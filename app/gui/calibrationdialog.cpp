#include "calibrationdialog.h"

#include "core/resources.h"

#include <QDialogButtonBox>
#include <QFileDialog>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSpinBox>

namespace olv {

CalibrationDialog::CalibrationDialog(const ol::CalibrationSettings& current, std::int64_t maxSeqlen, QWidget* parent)
    : QDialog(parent), m_texts(new QLineEdit(this)), m_nsamples(new QSpinBox(this)), m_seqlen(new QSpinBox(this)),
      m_seed(new QSpinBox(this)) {
    setWindowTitle(tr("Calibrate"));
    QStringList files;
    for (const auto& f : current.textFiles) files << QString::fromStdString(f);
    m_texts->setText(files.join(QLatin1Char(';')));
    m_texts->setToolTip(tr("text files, separated by ';' (joined with blank lines, as the reference joins WikiText rows)"));
    auto* browse = new QPushButton(tr("Browse…"), this);
    connect(browse, &QPushButton::clicked, this, [this] {
        const auto chosen = QFileDialog::getOpenFileNames(this, tr("Calibration text"), {}, tr("Text (*.txt);;All files (*)"));
        if (!chosen.isEmpty()) m_texts->setText(chosen.join(QLatin1Char(';')));
    });
    auto* bundled = new QPushButton(tr("Bundled"), this);
    connect(bundled, &QPushButton::clicked, this, [this] { m_texts->setText(QString::fromStdString(ol::bundledCalibText())); });
    auto* textRow = new QHBoxLayout;
    textRow->addWidget(m_texts, 1);
    textRow->addWidget(browse);
    textRow->addWidget(bundled);
    m_nsamples->setRange(1, 100000);
    m_nsamples->setValue(static_cast<int>(current.nsamples));
    m_seqlen->setRange(2, static_cast<int>(maxSeqlen));
    m_seqlen->setValue(static_cast<int>(std::min<std::int64_t>(current.seqlen, maxSeqlen)));
    m_seed->setRange(0, 1 << 30);
    m_seed->setValue(static_cast<int>(current.seed));
    auto* form = new QFormLayout(this);
    form->addRow(tr("Text"), textRow);
    form->addRow(tr("Windows (--nsamples)"), m_nsamples);
    form->addRow(tr("Tokens per window (--seqlen)"), m_seqlen);
    form->addRow(tr("Seed (--seed)"), m_seed);
    form->addRow(new QLabel(tr("Random window starts drawn as the reference projects draw them (Python's random)."), this));
    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, this);
    connect(buttons, &QDialogButtonBox::accepted, this, &QDialog::accept);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    form->addRow(buttons);
}

ol::CalibrationSettings CalibrationDialog::settings() const {
    ol::CalibrationSettings s;
    for (const auto& f : m_texts->text().split(QLatin1Char(';'), Qt::SkipEmptyParts))
        s.textFiles.push_back(f.trimmed().toStdString());
    s.nsamples = m_nsamples->value();
    s.seqlen = m_seqlen->value();
    s.seed = static_cast<std::uint64_t>(m_seed->value());
    return s;
}

} // namespace olv
