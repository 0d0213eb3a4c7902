#pragma once
// Run ▸ Quantize & Export…: where the export goes and what to evaluate on the FP and the quantized model —
// perplexity and the zero-shot tasks whose <task>.jsonl files sit in a chosen folder (docs/evaluation.md).
#include "evaluationchoice.h"

#include <QDialog>
#include <QStringList>
#include <cstdint>
#include <map>

class QCheckBox;
class QDialogButtonBox;
class QLabel;
class QLineEdit;
class QSpinBox;

namespace olv {

class QuantizeDialog : public QDialog {
    Q_OBJECT
public:
    QuantizeDialog(const QString& suggestedExportDir, const EvaluationChoice& previous, QWidget* parent = nullptr);
    QString exportDir() const;
    EvaluationChoice evaluation() const;
    // Empty when the choices can run; otherwise what is missing (shown in the dialog, OK disabled).
    QString problem() const;

private:
    void check();
    QLineEdit* m_exportDir;
    QCheckBox* m_perplexity;
    std::map<QString, QCheckBox*> m_tasks;
    QLineEdit* m_taskDir;
    QSpinBox* m_taskLimit;
    QCheckBox* m_mmlu;
    QLineEdit* m_mmluDir;
    QSpinBox* m_mmluShots;
    QLabel* m_problem;
    QDialogButtonBox* m_buttons;
};

} // namespace olv
