import Foundation
import PulseRuntime

WorkerMain.run(PromoterHandler(), environment: ProcessInfo.processInfo.environment, arguments: Array(CommandLine.arguments.dropFirst()))
