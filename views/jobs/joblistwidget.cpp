#include "views/jobs/joblistwidget.h"

#include "core/jobs/jobmanager.h"

#include <QHeaderView>
#include <QProgressBar>
#include <QPushButton>
#include <QTreeWidget>
#include <QVBoxLayout>
#include <cmath>

namespace olv {

namespace {
enum Column { Title, Bar, Stage, Action };
}

QString formatEta(double seconds) {
    if (seconds < 0) return {};
    const int s = static_cast<int>(std::lround(seconds));
    if (s < 60) return QObject::tr("%1 s left").arg(s);
    if (s < 3600) return QObject::tr("%1m%2s left").arg(s / 60).arg(s % 60, 2, 10, QLatin1Char('0'));
    return QObject::tr("%1h%2m left").arg(s / 3600).arg((s % 3600) / 60, 2, 10, QLatin1Char('0'));
}

JobListWidget::JobListWidget(JobManager* manager, QWidget* parent) : QWidget(parent), m_tree(new QTreeWidget(this)) {
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(m_tree);
    m_tree->setColumnCount(4);
    m_tree->setHeaderLabels({tr("Job"), tr("Progress"), tr("Stage"), QString()});
    m_tree->setRootIsDecorated(false);
    m_tree->header()->setSectionResizeMode(Stage, QHeaderView::Stretch);
    m_tree->header()->setStretchLastSection(false);
    m_tree->setColumnWidth(Title, 180);
    m_tree->setColumnWidth(Bar, 140);
    for (auto* job : manager->jobs()) addJob(job);
    connect(manager, &JobManager::jobAdded, this, &JobListWidget::addJob);
}

int JobListWidget::rowCount() const { return m_tree->topLevelItemCount(); }

void JobListWidget::addJob(Job* job) {
    QTreeWidgetItem* item = nullptr;
    if (job->isTransient() && m_transientItem) {
        item = m_transientItem;
        for (auto it = m_items.begin(); it != m_items.end();) it = it.value() == item ? m_items.erase(it) : std::next(it);
    } else {
        item = new QTreeWidgetItem;
        m_tree->insertTopLevelItem(0, item); // newest first
        auto* bar = new QProgressBar;
        bar->setRange(0, 1000);
        bar->setTextVisible(true);
        m_tree->setItemWidget(item, Bar, bar);
        auto* cancel = new QPushButton(tr("Cancel"));
        m_tree->setItemWidget(item, Action, cancel);
        if (job->isTransient()) m_transientItem = item;
    }
    m_items.insert(job, item);
    auto* cancel = qobject_cast<QPushButton*>(m_tree->itemWidget(item, Action));
    cancel->disconnect();
    connect(cancel, &QPushButton::clicked, job, &Job::cancel);
    connect(job, &Job::progressChanged, this, [this, job] { refresh(job); });
    connect(job, &QObject::destroyed, this, [this, job] { m_items.remove(job); });
    refresh(job);
}

void JobListWidget::refresh(Job* job) {
    auto* item = m_items.value(job);
    if (!item) return;
    item->setText(Title, job->title());
    auto* bar = qobject_cast<QProgressBar*>(m_tree->itemWidget(item, Bar));
    bar->setValue(static_cast<int>(job->fraction() * 1000));
    bar->setFormat(QStringLiteral("%1%").arg(job->fraction() * 100, 0, 'f', 0));
    QString stage = job->message();
    const auto eta = formatEta(job->etaSeconds());
    if (!eta.isEmpty()) stage += QStringLiteral("  (") + eta + QLatin1Char(')');
    item->setText(Stage, stage);
    item->setToolTip(Stage, stage);
    m_tree->itemWidget(item, Action)->setEnabled(!job->isDone());
    if (job->state() == Job::State::Failed)
        item->setForeground(Stage, QBrush(Qt::red));
    else
        item->setForeground(Stage, m_tree->palette().brush(QPalette::Text));
}

} // namespace olv
